/** A bare thread for machine-scaling.ts: runs the given map tasks through the wordcount map stage and reports the milliseconds. */
import { parentPort, workerData } from "node:worker_threads";
import { compileJob } from "../src/engine/query/compile-job.js";
import { MapStage } from "../src/engine/stages/map-stage.js";
import { jobDefinition } from "./workloads.js";

const { tasks, partitions, windowBatches } = workerData as { tasks: Uint8Array[][]; partitions: number; windowBatches: number };
const plan = compileJob(jobDefinition("wordcount", { id: "machine", input: "records", batchIntervalMs: 1000, windowBatches }));
const stage = new MapStage(plan, partitions);
const run = () => tasks.forEach((blocks, i) => stage.run({ jobId: "machine", batchTime: 1000 * (i + 1), partition: 0, blocks }));
run();
const started = performance.now();
run();
parentPort!.postMessage(performance.now() - started);
