/**
 * How busy the rest of the machine was while a section ran: the machine's busy CPU time (from
 * /proc/stat, Linux) minus this process's own, over the wall-clock time, in cores. The machine is
 * shared, so a figure measured while others kept cores busy is low, and the report says so.
 */
import { readFileSync } from "node:fs";
import os from "node:os";

interface Sample {
  readonly at: number;
  readonly machineBusySec: number | null;
  readonly ownCpuSec: number;
}

function machineBusySec(): number | null {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait.
    const busy = fields.reduce((a, b) => a + b, 0) - (fields[3] ?? 0) - (fields[4] ?? 0);
    return busy / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

export function sampleLoad(): Sample {
  const own = process.cpuUsage();
  return { at: performance.now(), machineBusySec: machineBusySec(), ownCpuSec: (own.user + own.system) / 1e6 };
}

export interface MachineLoad {
  /** Cores kept busy on average by other processes during the section (null where /proc/stat is missing). */
  readonly otherProcessesCores: number | null;
  /** Cores this process used on average (all its threads). */
  readonly ownCores: number;
  readonly cores: number;
  readonly loadAverage1m: number;
  readonly busy: boolean;
}

export function loadSince(start: Sample): MachineLoad {
  const end = sampleLoad();
  const wallSec = (end.at - start.at) / 1000;
  const own = (end.ownCpuSec - start.ownCpuSec) / wallSec;
  const machine = start.machineBusySec === null || end.machineBusySec === null ? null : (end.machineBusySec - start.machineBusySec) / wallSec;
  const other = machine === null ? null : Math.max(0, machine - own);
  const round = (x: number) => Math.round(x * 100) / 100;
  const loadAverage1m = os.loadavg()[0]!;
  return {
    otherProcessesCores: other === null ? null : round(other),
    ownCores: round(own),
    cores: os.availableParallelism(),
    loadAverage1m: round(loadAverage1m),
    // Busy when others used more than a quarter of a core on average (or, without /proc/stat, a high load average).
    busy: other === null ? loadAverage1m > 1.5 : other > 0.25,
  };
}
