/**
 * Who a process is, precisely enough to tell "that process is still running" from "a process that died
 * and whose PID was handed to another": the PID alone is not enough (a restarted container's server
 * is PID 1 again), so on Linux it is paired with the process's start time and the kernel's boot id.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";

/** The machine a process runs on: its host name and, on Linux, the id of the current boot. */
export interface HostIdentity {
  readonly hostname: string;
  /** /proc/sys/kernel/random/boot_id; undefined where there is none. */
  readonly bootId: string | undefined;
}

/** Reads this machine's identity. */
export function thisHost(): HostIdentity {
  return { hostname: hostname(), bootId: readTrimmed("/proc/sys/kernel/random/boot_id") };
}

/**
 * When process `pid` started, in clock ticks since boot (field 22 of /proc/<pid>/stat); undefined
 * where /proc is missing or the process does not exist.
 */
export function processStartTicks(pid: number): string | undefined {
  const stat = readTrimmed(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[19];
}

/** True while a process with this PID exists (also when it belongs to another user). */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readTrimmed(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}
