/** Late events of an event-time window reach the batch outcome and the job's progress. */
import { describe, expect, it } from "vitest";
import { encodeBlock } from "../../../../src/engine/block-codec.js";
import { compileJob } from "../../../../src/engine/query/compile-job.js";
import { BatchExecutor } from "../../../../src/engine/scheduler/batch-executor.js";
import { inputSlots } from "../../../../src/engine/scheduler/input-slots.js";
import { JobProgress } from "../../../../src/engine/scheduler/job-progress.js";
import type { Block, BlockRange, StreamLog } from "../../../../src/store/types.js";
import { InThreadRunner } from "../../../../src/workers/in-thread-runner.js";

/** A log whose every range holds exactly the events given for its partition. */
function logOf(byPartition: Record<string, unknown>[][]): StreamLog {
  return { read: async (r: BlockRange) => [{ offset: r.from, payload: encodeBlock(byPartition[r.partition] ?? []) } as unknown as Block] } as unknown as StreamLog;
}

describe("BatchExecutor with an eventWindow", () => {
  it("sums late events over reduce partitions, and progress keeps the total", async () => {
    const definition = { name: "t", input: "s", steps: [{ op: "keyBy", key: "k" }, { op: "eventWindow", time: "t", length: "10s", aggs: { n: { fn: "count" } } }] };
    const plan = compileJob(definition);
    const runner = new InThreadRunner();
    await runner.deploy({ jobId: "j", definition, partitions: 2, history: { since: async () => ({ snapshot: undefined, tasks: [] }) } });
    const progress = new JobProgress();
    const run = async (batchTime: number, events: Record<string, unknown>[][]) => {
      const executor = new BatchExecutor("j", plan, inputSlots([{ name: "s", partitions: 2 }]), 2, runner, logOf(events), () => undefined);
      const ranges = events.map((_, partition) => ({ stream: "s", partition, from: 0, to: 1 }));
      const outcome = await executor.execute({ jobId: "j", batchTime, ranges });
      progress.batchCut();
      progress.batchDone({ ...outcome, batchTime, processingMs: 1, schedulingDelayMs: 0, lastSeq: 0, intervalMs: 1000 });
      return outcome;
    };
    // Only map partition 1 sees the largest time, and "a" and "b" may be reduced apart: the reducer of "a" must still close [0, 10000).
    const first = await run(1000, [[{ k: "a", t: 1 }], [{ k: "b", t: 25_000 }]]);
    expect(first.output?.rows).toEqual([{ key: "a", windowStart: 0, windowEnd: 10_000, n: 1 }]);
    const second = await run(2000, [[{ k: "a", t: 2 }, { k: "b", t: 3 }], [{ k: "c", t: 4 }, { k: "c", t: 20_000 }]]);
    expect(second.lateEvents).toBe(3);
    expect(second.output).toBeNull();
    expect(progress.toJSON().lateEvents).toBe(3);
  });
});
