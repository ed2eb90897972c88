/**
 * A task runner that is still starting (the worker pool boots its threads, each loading its modules):
 * every call waits for it, then goes to it. main.ts hands it to the engine so that the HTTP server can
 * listen while the threads boot; the jobs' deployments are its first calls.
 */
import type { JobDeployment, MapTask, ReduceTask, TaskRunner } from "../engine/task-runner.js";
import type { Key } from "../engine/operators/key-by.js";

export class StartingRunner implements TaskRunner {
  constructor(private readonly started: Promise<TaskRunner>) {
    // A runner that cannot start is told by whoever awaits `started` (main.ts exits); calls reject with it.
    started.catch(() => undefined);
  }

  async deploy(deployment: JobDeployment) {
    return (await this.started).deploy(deployment);
  }

  async map(task: MapTask) {
    return (await this.started).map(task);
  }

  async reduce(task: ReduceTask) {
    return (await this.started).reduce(task);
  }

  async snapshot(jobId: string, partition: number) {
    return (await this.started).snapshot(jobId, partition);
  }

  async lookup(jobId: string, partition: number, key: Key | undefined) {
    return (await this.started).lookup(jobId, partition, key);
  }

  async restore(jobId: string, partition: number, snapshot: Uint8Array) {
    return (await this.started).restore(jobId, partition, snapshot);
  }

  async undeploy(jobId: string) {
    return (await this.started).undeploy(jobId);
  }

  async close() {
    return (await this.started.catch(() => undefined))?.close();
  }
}
