/**
 * Every Redis key name of the Redis store, built in this one place from the key prefix:
 *
 *   <prefix>{catalog}:streams                              hash   stream name -> StreamDefinition JSON
 *   <prefix>{catalog}:jobs                                 hash   job id -> JobRecord JSON
 *   <prefix>{stream:<s>}:offsets                           hash   "<p>:end" next offset, "<p>:start" oldest kept,
 *                                                                 "<p>:events", "<p>:bytes" events and payload bytes ever appended
 *   <prefix>{stream:<s>}:<p>:blocks                        stream entry "<offset>-1": c count, t appendedAt, p payload,
 *                                                                 e, b events and payload bytes appended before it
 *   <prefix>{stream:<s>}:generation                        string bumped by each drop of the stream
 *   <prefix>{stream:<s>}:<p>:request:<requestId>           string "<generation>:<offset>", expires after the retention
 *   <prefix>{job:<id>}:batches                             zset   BatchDescriptor JSON scored by batch time
 *   <prefix>{job:<id>}:results                             zset   ResultFrame JSON scored by seq
 *   <prefix>{job:<id>}:result-history                      list   "<seq> <rows> <batch time>" of each retained frame with rows, oldest first
 *   <prefix>{job:<id>}:result-recent                       list   seq of each retained frame without rows, oldest first
 *   <prefix>{job:<id>}:result-total                        string rows of the retained frames
 *   <prefix>{job:<id>}:result-first                        string the oldest seq the result history covers
 *   <prefix>{job:<id>}:result-rows                         list   (an older version's row counts; removed when next appended to)
 *   <prefix>{job:<id>}:snapshots                           hash   "<batchTime>:<p>" -> state snapshot bytes
 *   <prefix>{job:<id>}:checkpoints                         zset   complete checkpoints' batch times
 *   <prefix>{job:<id>}:checkpoint-counters                 hash   batch time -> JobCounters JSON of that complete checkpoint
 *   <prefix>{job:<id>}:lease                               string "<epoch> <node>" of the lease's holder, expires with it
 *   <prefix>{job:<id>}:epoch                               string newest lease epoch granted (the fence); never expires
 *   <prefix>{cluster}:members                              set    ids of nodes that announced themselves
 *   <prefix>{cluster}:node:<id>                            string NodeInfo JSON, expires unless the node renews it
 *
 * The braces are Redis Cluster hash tags: every key one script touches shares its stream's or its job's
 * tag, so each script's keys hash to one slot and the store can move to a cluster unchanged.
 *
 * Names come from users, so they follow the embedded store's name rule (a stream valid in one store is
 * valid in the other, and no name can contain a brace or a colon that would confuse the layout).
 */
import { assertBatchTime, assertName, assertPartition } from "../contract.js";

/** The key prefix when none is given. */
export const DEFAULT_KEY_PREFIX = "trib:";

export class RedisKeys {
  /** @param prefix put before every key; must not contain a brace (it would become the hash tag) */
  constructor(readonly prefix: string = DEFAULT_KEY_PREFIX) {
    if (typeof prefix !== "string" || /[{}]/.test(prefix)) {
      throw new RangeError(`keyPrefix ${JSON.stringify(prefix)} must be a string without braces: they would make every key one hash slot`);
    }
  }

  catalogStreams(): string {
    return `${this.prefix}{catalog}:streams`;
  }

  catalogJobs(): string {
    return `${this.prefix}{catalog}:jobs`;
  }

  streamOffsets(stream: string): string {
    return `${this.streamTag(stream)}:offsets`;
  }

  streamBlocks(stream: string, partition: number): string {
    assertPartition(partition);
    return `${this.streamTag(stream)}:${partition}:blocks`;
  }

  streamGeneration(stream: string): string {
    return `${this.streamTag(stream)}:generation`;
  }

  /** The dedupe key of one request id; the id goes in last, so any text is safe there. */
  streamRequest(stream: string, partition: number, requestId: string): string {
    assertPartition(partition);
    return `${this.streamTag(stream)}:${partition}:request:${requestId}`;
  }

  batches(jobId: string): string {
    return `${this.jobTag(jobId)}:batches`;
  }

  results(jobId: string): string {
    return `${this.jobTag(jobId)}:results`;
  }

  resultRows(jobId: string): string {
    return `${this.jobTag(jobId)}:result-rows`;
  }

  resultTotal(jobId: string): string {
    return `${this.jobTag(jobId)}:result-total`;
  }

  resultHistory(jobId: string): string {
    return `${this.jobTag(jobId)}:result-history`;
  }

  resultRecent(jobId: string): string {
    return `${this.jobTag(jobId)}:result-recent`;
  }

  resultFirst(jobId: string): string {
    return `${this.jobTag(jobId)}:result-first`;
  }

  snapshots(jobId: string): string {
    return `${this.jobTag(jobId)}:snapshots`;
  }

  completeCheckpoints(jobId: string): string {
    return `${this.jobTag(jobId)}:checkpoints`;
  }

  checkpointCounters(jobId: string): string {
    return `${this.jobTag(jobId)}:checkpoint-counters`;
  }

  lease(jobId: string): string {
    return `${this.jobTag(jobId)}:lease`;
  }

  epoch(jobId: string): string {
    return `${this.jobTag(jobId)}:epoch`;
  }

  clusterMembers(): string {
    return `${this.prefix}{cluster}:members`;
  }

  clusterNode(nodeId: string): string {
    assertName("node", nodeId);
    return `${this.prefix}{cluster}:node:${nodeId}`;
  }

  /** The field of a stream's `offsets` hash holding one partition's start or end offset. */
  offsetField(partition: number, which: "start" | "end"): string {
    assertPartition(partition);
    return `${partition}:${which}`;
  }

  /** The field of `snapshots` holding one partition's state at one batch time. */
  snapshotField(batchTime: number, partition: number): string {
    assertBatchTime(batchTime);
    assertPartition(partition);
    return `${batchTime}:${partition}`;
  }

  /** A SCAN MATCH pattern for every key under this prefix (for tests and tooling). */
  pattern(): string {
    return `${this.prefix.replace(/[*?[\]\\]/g, (char) => `\\${char}`)}*`;
  }

  private streamTag(stream: string): string {
    assertName("stream", stream);
    return `${this.prefix}{stream:${stream}}`;
  }

  private jobTag(jobId: string): string {
    assertName("job", jobId);
    return `${this.prefix}{job:${jobId}}`;
  }
}
