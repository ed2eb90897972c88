/**
 * The store as one job's lease holder sees it: every job-scoped write of that job carries the lease's
 * fence, so once the lease has moved to another node nothing this node still does for the job can
 * reach the store (the write is refused with FencedError). Reads and other jobs' writes pass through.
 */
import type { Fence, Store } from "../../store/types.js";

export function fencedStore(store: Store, jobId: string, fence: Fence): Store {
  const { batches, results, checkpoints } = store;
  const own = (id: string) => (id === jobId ? fence : undefined);
  return {
    ...store,
    kind: store.kind,
    ping: () => store.ping(),
    close: () => store.close(),
    batches: {
      record: (descriptor, f) => batches.record(descriptor, f ?? own(descriptor.jobId)),
      trim: (id, before, f) => batches.trim(id, before, f ?? own(id)),
      list: (id, after, limit) => batches.list(id, after, limit),
      last: (id) => batches.last(id),
      drop: (id) => batches.drop(id),
    },
    results: {
      append: (id, frame, f) => results.append(id, frame, f ?? own(id)),
      read: (id, from, limit) => results.read(id, from, limit),
      readNewest: (id, limit) => results.readNewest(id, limit),
      bounds: (id) => results.bounds(id),
      drop: (id) => results.drop(id),
    },
    checkpoints: {
      save: (id, batchTime, partition, state, f) => checkpoints.save(id, batchTime, partition, state, f ?? own(id)),
      complete: (id, batchTime, partitions, counters, f) => checkpoints.complete(id, batchTime, partitions, counters, f ?? own(id)),
      listComplete: (id) => checkpoints.listComplete(id),
      load: (id, batchTime, partition) => checkpoints.load(id, batchTime, partition),
      counters: (id, batchTime) => checkpoints.counters(id, batchTime),
      drop: (id) => checkpoints.drop(id),
    },
  };
}
