/**
 * One tenant's view of the engine. Every stream and job name a tenant gives is qualified as
 * "<tenant>~<name>" on the way in and unqualified on the way out, so two tenants may use the same
 * names, a tenant sees, reads and changes only its own streams and jobs (another tenant's are simply
 * not there: 404, never 403), and a job reads only its own tenant's streams. The "default" tenant (the
 * open server's, and whoever holds a key of tenant "default") owns the unqualified names.
 */
import { EngineError, renameAll, TENANT_SEPARATOR, type Engine, type JobView } from "../../engine/engine.js";
import type { StreamDefinition } from "../../store/types.js";
import { ApiError } from "../errors.js";

export const DEFAULT_TENANT = "default";

export class TenantNames {
  private readonly prefix: string;

  constructor(readonly tenant: string) {
    this.prefix = tenant === DEFAULT_TENANT ? "" : `${tenant}${TENANT_SEPARATOR}`;
  }

  /**
   * The stored name of a name this tenant gave. A name holding the separator is made one that can
   * never be valid (so the engine refuses it as it refuses any bad name, and it can never reach
   * another tenant's names).
   */
  qualify = (name: string): string => (name.includes(TENANT_SEPARATOR) ? `${TENANT_SEPARATOR}${name}` : `${this.prefix}${name}`);

  /** Whether a stored name is this tenant's. */
  owns = (stored: string): boolean => (this.prefix === "" ? !stored.includes(TENANT_SEPARATOR) : stored.startsWith(this.prefix) && !stored.slice(this.prefix.length).includes(TENANT_SEPARATOR));

  /** The name this tenant knows a stored name by. */
  unqualify = (stored: string): string => (this.prefix !== "" && stored.startsWith(this.prefix) ? stored.slice(this.prefix.length) : stored);

  /** Text (an error message, a failure reason) with this tenant's stored names shown as it knows them. */
  text = (text: string): string => (this.prefix === "" ? text : text.split(this.prefix).join(""));
}

export function tenantEngine(engine: Engine, names: TenantNames): Engine {
  const { qualify, unqualify, owns } = names;
  const stream = <S extends StreamDefinition>(s: S): S => ({ ...s, name: unqualify(s.name) });
  const job = (j: JobView): JobView => ({
    ...j,
    id: unqualify(j.id),
    name: unqualify(j.name),
    input: unqualify(j.input),
    inputs: j.inputs.map(unqualify),
    failure: j.failure === null ? null : names.text(j.failure),
    definition: renameAll(j.definition, unqualify) as Record<string, unknown>,
  });
  /** Runs a call, showing its errors in this tenant's names. */
  const as = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw shown(error, names);
    }
  };

  return {
    declareStream: (spec) => as(async () => stream(await engine.declareStream({ ...spec, name: qualify(spec.name) }))),
    listStreams: () => as(async () => (await engine.listStreams()).filter((s) => owns(s.name)).map(stream)),
    getStream: (name) => as(async () => stream(await engine.getStream(qualify(name)))),
    deleteStream: (name) => as(() => engine.deleteStream(qualify(name))),
    ingest: (name, events, options) => as(async () => {
      const receipt = await engine.ingest(qualify(name), events, options);
      return { ...receipt, stream: unqualify(receipt.stream) };
    }),
    ingestNdjson: (name, body, options) => as(async () => {
      const receipt = await engine.ingestNdjson(qualify(name), body, options);
      return { ...receipt, stream: unqualify(receipt.stream) };
    }),
    // Every tenant's streams: trimming is the server's housekeeping, not a tenant's view.
    enforceRetention: () => engine.enforceRetention(),
    readerDelays: (name) => as(async () => (await engine.readerDelays(qualify(name))).map((r) => ({ ...r, jobId: unqualify(r.jobId) }))),

    registerJob: (definition) =>
      as(async () => {
        const registered = await engine.registerJob(renameAll(definition, qualify));
        const reads = { ...registered.reads, partitions: registered.reads.partitions.map((r) => ({ ...r, stream: unqualify(r.stream) })) };
        return { ...job(registered), reads, warnings: registered.warnings.map(names.text) };
      }),
    validateJob: (definition) =>
      as(async () => {
        const { definition: stored, plan } = await engine.validateJob(renameAll(definition, qualify));
        return { valid: true, definition: renameAll(stored, unqualify) as Record<string, unknown>, plan: { ...plan, inputs: plan.inputs.map((i) => ({ ...i, stream: unqualify(i.stream) })) } };
      }),
    restartJob: (id) => as(async () => job(await engine.restartJob(qualify(id)))),
    upgradeJob: (id, definition, resetState) =>
      as(async () => {
        const upgraded = await engine.upgradeJob(qualify(id), renameAll(definition, qualify), resetState);
        return { ...job(upgraded), state: upgraded.state, differences: JSON.parse(names.text(JSON.stringify(upgraded.differences))) as typeof upgraded.differences };
      }),
    listJobs: () => as(async () => (await engine.listJobs()).filter((j) => owns(j.id)).map(job)),
    getJob: (id) => as(async () => job(await engine.getJob(qualify(id)))),
    deleteJob: (id) => as(() => engine.deleteJob(qualify(id))),
    pauseJob: (id) => as(async () => job(await engine.pauseJob(qualify(id)))),
    resumeJob: (id) => as(async () => job(await engine.resumeJob(qualify(id)))),
    jobModel: (id) => as(async () => ({ ...(await engine.jobModel(qualify(id))), jobId: id })),
    jobState: (id, key) => as(async () => ({ ...(await engine.jobState(qualify(id), key)), jobId: id })),

    results: (id, from, limit) => as(() => engine.results(qualify(id), from, limit)),
    newestResults: (id, count) => as(() => engine.newestResults(qualify(id), count)),
    subscribe: (id, from, subscriber) =>
      as(() => engine.subscribe(qualify(id), from, { frame: (f) => subscriber.frame(f), end: (reason) => subscriber.end(names.text(reason)), bufferedBytes: () => subscriber.bufferedBytes?.() ?? 0 })),
    batches: (id, after, limit) =>
      as(async () => (await engine.batches(qualify(id), after, limit)).map((b) => ({ ...b, jobId: id, ranges: b.ranges.map((r) => ({ ...r, stream: unqualify(r.stream) })) }))),

    whenIdle: (id) => engine.whenIdle(qualify(id)),
    ready: () => engine.ready(),
    recovery: () => engine.recovery(),
    cluster: () =>
      as(async () => {
        const view = await engine.cluster();
        return { ...view, jobs: view.jobs.filter((j) => owns(j.id)).map((j) => ({ ...j, id: unqualify(j.id) })) };
      }),
    jobOwner: (id) => engine.jobOwner(qualify(id)),
    start: () => engine.start(),
    stop: () => engine.stop(),
  };
}

/** An engine or API error with this tenant's stored names shown as the tenant knows them. */
function shown(error: unknown, names: TenantNames): unknown {
  if (!(error instanceof EngineError) && !(error instanceof ApiError)) return error;
  const details = error.details === undefined ? undefined : (JSON.parse(names.text(JSON.stringify(error.details))) as unknown);
  const message = names.text(error.message);
  if (message === error.message && details === error.details) return error;
  return error instanceof EngineError ? new EngineError(error.code, message, details) : new ApiError(error.code, message, details);
}
