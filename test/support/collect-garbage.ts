/**
 * A full garbage collection of the test's own thread, so that heapUsed counts live objects only: `gc`
 * when node runs with --expose-gc, or else taken from a fresh context with the flag set for that
 * moment (as jest's leak detector does).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

const gc: () => void = (globalThis as { gc?: () => void }).gc ?? exposedGc();

function exposedGc(): () => void {
  setFlagsFromString("--expose-gc");
  try {
    return runInNewContext("gc") as () => void;
  } finally {
    setFlagsFromString("--no-expose-gc");
  }
}

/** heapUsed of this thread after a full collection (run twice: finalizers can free more). */
export function liveHeapBytes(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
