/**
 * The pool's worker threads as its parts see them: the map scheduler picks free workers from it, the
 * partition placement finds a partition's owner in it. The worker supervisor keeps it.
 */
import type { WorkerHandle } from "./worker-handle.js";

export interface WorkerRoster {
  /** Live workers (never the standby), in the order they started. */
  live(): WorkerHandle[];
  /** A worker by index: undefined once it is lost (it stays listed, dead, while the pool closes). */
  worker(index: number): WorkerHandle | undefined;
  /** Resolves once the worker is booted and has every job deployed; undefined once it has. */
  whenReady(index: number): Promise<void> | undefined;
}

