/**
 * A whole job's batch in one place: the stages (map per partition, shuffle, reduce per partition,
 * final) run one after the other on the calling thread. Tests use it as the plain statement of what a
 * batch computes; the scheduler runs the same stages through a TaskRunner.
 */
import { encodeBlock } from "./block-codec.js";
import type { Row } from "./operators/operator.js";
import type { JobPlan } from "./query/compile-job.js";
import { FinalStage } from "./stages/final-stage.js";
import { MapStage } from "./stages/map-stage.js";
import { PartitionReducer } from "./stages/partition-reducer.js";
import { addRowErrors, type RowErrorReport } from "./stages/row-errors.js";
import { decodeRows } from "./stages/shuffle-codec.js";
import type { Interval } from "./time.js";

export type { RowErrorReport } from "./stages/row-errors.js";

/** What one batch produced: `rows` and the window they cover, or nothing at this batch time. */
export interface BatchOutput {
  readonly rows: Row[];
  readonly window: Interval | null;
}

export class JobPipeline {
  private readonly map: MapStage;
  private readonly reducers: PartitionReducer[];
  private readonly final: FinalStage;

  /**
   * `partitions` partitions per input; events are dealt to them round-robin. The keyed step runs in
   * as many reduce partitions, unless a repartition step says otherwise.
   */
  constructor(
    plan: JobPlan,
    private readonly partitions = 1,
  ) {
    const reducePartitions = plan.reducePartitions ?? partitions;
    this.map = new MapStage(plan, reducePartitions);
    this.reducers = plan.keyed() ? Array.from({ length: reducePartitions }, (_, p) => new PartitionReducer(plan, p)) : [];
    this.final = new FinalStage(plan);
  }

  /** Runs one batch of a one-input job. Returns null when no frame is due (a window between slides). */
  process(batchTime: number, events: Row[], errors: RowErrorReport): BatchOutput | null {
    return this.processInputs(batchTime, [events], errors);
  }

  /** Runs one batch with the events of each of the job's inputs (in JobPlan.inputs order). */
  processInputs(batchTime: number, eventsByInput: readonly Row[][], errors: RowErrorReport): BatchOutput | null {
    const jobId = "pipeline";
    const tasks = eventsByInput.flatMap((events, input) => {
      const dealt: Row[][] = Array.from({ length: this.partitions }, () => []);
      events.forEach((event, i) => dealt[i % this.partitions]!.push(event));
      return dealt.map((share) => ({ input, share }));
    });
    const mapped = tasks.map(({ input, share }, partition) => this.map.run({ jobId, batchTime, partition, input, blocks: [encodeBlock(share)] }));
    for (const m of mapped) addRowErrors(errors, m.rowErrors);
    let rows: Row[] = [];
    let window: Interval | null = null;
    if (this.reducers.length === 0) {
      rows = mapped.flatMap((m) => decodeRows(m.rows!));
    } else {
      const reduced = this.reducers.map((reducer, partition) => reducer.run({ jobId, batchTime, partition, shares: mapped.map((m) => m.shares![partition]!) }));
      for (const r of reduced) addRowErrors(errors, r.rowErrors);
      if (!reduced.some((r) => r.emitted)) return null;
      rows = reduced.flatMap((r) => decodeRows(r.rows));
      window = reduced[0]!.window;
    }
    const out = this.final.run(batchTime, rows, window, errors);
    return out === null ? null : { rows: out, window };
  }

  /** Each reduce partition's packed state. */
  snapshot(): Uint8Array[] {
    return this.reducers.map((r) => r.snapshot());
  }

  restore(snapshots: readonly Uint8Array[]): void {
    this.reducers.forEach((r, i) => r.restore(snapshots[i]!));
  }
}
