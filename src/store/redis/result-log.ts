/**
 * The Redis result log: one sorted set per job, each retained frame's JSON scored by its seq.
 * append-result.lua checks the seq against the newest stored one, forgets frames without rows once
 * they are no longer recent, and trims the frames with rows to the configured history (kept beside
 * them: a list of their seqs, rows and batch times, the rows' total, and where the history begins), in
 * the same step.
 */
import { assertNextSeq, type ResultHistoryBounds } from "../contract.js";
import type { Fence, ResultFrame, ResultLog } from "../types.js";
import type { RedisContext } from "./redis-context.js";
import { scriptError } from "./redis-errors.js";
import { appendResult } from "./scripts/append-result.js";
import { resultBounds } from "./scripts/result-bounds.js";

export class RedisResultLog implements ResultLog {
  constructor(
    private readonly context: RedisContext,
    private readonly history: ResultHistoryBounds,
  ) {}

  async append(jobId: string, frame: ResultFrame, fence?: Fence): Promise<void> {
    const { keys } = this.context;
    const key = keys.results(jobId);
    const { frames, rows, ageMs, recentSeqs } = this.history;
    const args = [String(frame.seq), JSON.stringify(frame), String(frames), String(rows), String(frame.rows.length), String(frame.batchTime), ageMs === undefined ? "" : String(ageMs), String(recentSeqs)];
    return this.context.acknowledgedWrite(`append result ${frame.seq} of ${jobId}`, async () => {
      try {
        await this.context.runFenced(appendResult, jobId, [key, keys.resultHistory(jobId), keys.resultTotal(jobId), keys.resultRecent(jobId), keys.resultFirst(jobId), keys.resultRows(jobId)], args, fence);
      } catch (error) {
        const refused = scriptError(error);
        if (refused?.code === "SEQ") assertNextSeq(jobId, Number(refused.detail), frame.seq); // throws the usual message
        throw error;
      }
    });
  }

  async read(jobId: string, fromSeq: number, limit: number): Promise<ResultFrame[]> {
    const key = this.context.keys.results(jobId);
    return this.context.call(`read the results of ${jobId}`, async (redis) => {
      if (!(limit > 0)) return [];
      const count = Number.isFinite(limit) ? Math.floor(limit) : -1;
      const from = Number.isFinite(fromSeq) ? String(fromSeq) : fromSeq > 0 ? "+inf" : "-inf";
      const lines = await redis.zrangebyscore(key, from, "+inf", "LIMIT", 0, count);
      return lines.map((line) => JSON.parse(line) as ResultFrame);
    });
  }

  async readNewest(jobId: string, limit: number): Promise<ResultFrame[]> {
    const key = this.context.keys.results(jobId);
    return this.context.call(`read the newest results of ${jobId}`, async (redis) => {
      if (!(limit > 0)) return [];
      const start = Number.isFinite(limit) ? String(-Math.floor(limit)) : "0";
      const lines = await redis.zrange(key, start, "-1");
      return lines.map((line) => JSON.parse(line) as ResultFrame);
    });
  }

  async bounds(jobId: string): Promise<{ first: number; last: number }> {
    const { keys } = this.context;
    return this.context.call(`read the result bounds of ${jobId}`, async () => {
      const [first, last] = (await this.context.scripts.run(resultBounds, [keys.results(jobId), keys.resultFirst(jobId)], [])) as [number, number];
      return { first: Number(first), last: Number(last) };
    });
  }

  async drop(jobId: string): Promise<void> {
    const { keys } = this.context;
    return this.context.call(`drop the results of ${jobId}`, async (redis) => {
      await redis.del(keys.results(jobId), keys.resultHistory(jobId), keys.resultRecent(jobId), keys.resultTotal(jobId), keys.resultFirst(jobId), keys.resultRows(jobId));
    });
  }
}
