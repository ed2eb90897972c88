/**
 * CPU contention for tests that must hold on a loaded machine: one child process per core, each
 * spinning in a busy loop until stopped. Tests start them before the work and stop them after it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { availableParallelism } from "node:os";

export interface CpuSpinners {
  readonly pids: readonly number[];
  /** Kills every spinner (by its own pid) and waits for each to be gone. */
  stop(): Promise<void>;
}

export async function startCpuSpinners(count = availableParallelism()): Promise<CpuSpinners> {
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    // Says "spinning" once its loop is about to start, so the contention is there when this resolves.
    const child = spawn(process.execPath, ["-e", "process.stdout.write('spinning\\n'); for (;;) {}"], { stdio: ["ignore", "pipe", "inherit"] });
    children.push(child);
    await once(child.stdout!, "data");
  }
  return {
    pids: children.map((c) => c.pid!),
    async stop() {
      await Promise.all(
        children.map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = once(child, "exit");
          child.kill("SIGKILL");
          await exited;
        }),
      );
    },
  };
}
