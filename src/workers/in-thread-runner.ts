/**
 * A TaskRunner that runs every task on the calling thread: the reference the worker pool is compared
 * with, and what engine tests use. It holds every reduce partition itself, so it never loses one.
 */
import { compileJob, type JobPlan } from "../engine/query/compile-job.js";
import { MapStage } from "../engine/stages/map-stage.js";
import { PartitionReducer } from "../engine/stages/partition-reducer.js";
import type { Key } from "../engine/operators/key-by.js";
import type { JobDeployment, MapResult, MapTask, ReduceResult, ReduceTask, StateLookup, TaskRunner } from "../engine/task-runner.js";

interface DeployedJob {
  readonly plan: JobPlan;
  readonly map: MapStage;
  readonly reducers: PartitionReducer[];
}

export class InThreadRunner implements TaskRunner {
  private readonly jobs = new Map<string, DeployedJob>();

  async deploy({ jobId, definition, partitions }: JobDeployment): Promise<void> {
    const plan = compileJob(definition);
    const reducers = plan.keyed() ? Array.from({ length: partitions }, (_, p) => new PartitionReducer(plan, p)) : [];
    this.jobs.set(jobId, { plan, map: new MapStage(plan, partitions), reducers });
  }

  async map(task: MapTask): Promise<MapResult> {
    return this.job(task.jobId).map.run(task);
  }

  async reduce(task: ReduceTask): Promise<ReduceResult> {
    return this.reducer(task.jobId, task.partition).run(task);
  }

  async snapshot(jobId: string, partition: number): Promise<Uint8Array> {
    return this.reducer(jobId, partition).snapshot();
  }

  async lookup(jobId: string, partition: number, key: Key | undefined): Promise<StateLookup> {
    return this.reducer(jobId, partition).lookup(key);
  }

  async restore(jobId: string, partition: number, snapshot: Uint8Array): Promise<void> {
    this.reducer(jobId, partition).restore(snapshot);
  }

  async undeploy(jobId: string): Promise<void> {
    this.jobs.delete(jobId);
  }

  async close(): Promise<void> {
    this.jobs.clear();
  }

  private job(jobId: string): DeployedJob {
    const job = this.jobs.get(jobId);
    if (!job) throw new Error(`job ${jobId} is not deployed on this runner`);
    return job;
  }

  private reducer(jobId: string, partition: number): PartitionReducer {
    const reducer = this.job(jobId).reducers[partition];
    if (!reducer) throw new Error(`job ${jobId} has no reduce partition ${partition}`);
    return reducer;
  }
}
