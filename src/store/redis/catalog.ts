/**
 * The Redis catalogue: streams and jobs as two hashes of JSON, keyed by stream name and job id. A name
 * is claimed with HSETNX, so of two nodes creating one name exactly one wins.
 */
import { assertName } from "../contract.js";
import type { Catalog, JobRecord, StreamDefinition } from "../types.js";
import type { RedisContext } from "./redis-context.js";

export class RedisCatalog implements Catalog {
  constructor(private readonly context: RedisContext) {}

  async createStream(stream: StreamDefinition): Promise<boolean> {
    assertName("stream", stream.name);
    const json = JSON.stringify(stream);
    return this.context.call(`create stream ${stream.name}`, async (redis) => (await redis.hsetnx(this.context.keys.catalogStreams(), stream.name, json)) === 1);
  }

  async putStream(stream: StreamDefinition): Promise<void> {
    assertName("stream", stream.name);
    const json = JSON.stringify(stream);
    return this.context.call(`save stream ${stream.name}`, async (redis) => {
      await redis.hset(this.context.keys.catalogStreams(), stream.name, json);
    });
  }

  async getStream(name: string): Promise<StreamDefinition | undefined> {
    return this.context.call(`read stream ${name}`, async (redis) => parse<StreamDefinition>(await redis.hget(this.context.keys.catalogStreams(), name)));
  }

  async listStreams(): Promise<StreamDefinition[]> {
    return this.context.call("list streams", async (redis) => {
      const streams = (await redis.hvals(this.context.keys.catalogStreams())).map((json) => JSON.parse(json) as StreamDefinition);
      return streams.sort((a, b) => compare(a.name, b.name));
    });
  }

  async deleteStream(name: string): Promise<void> {
    return this.context.call(`delete stream ${name}`, async (redis) => {
      await redis.hdel(this.context.keys.catalogStreams(), name);
    });
  }

  async createJob(job: JobRecord): Promise<boolean> {
    assertName("job", job.id);
    const json = JSON.stringify(job);
    return this.context.call(`create job ${job.id}`, async (redis) => (await redis.hsetnx(this.context.keys.catalogJobs(), job.id, json)) === 1);
  }

  async putJob(job: JobRecord): Promise<void> {
    assertName("job", job.id);
    const json = JSON.stringify(job);
    return this.context.call(`save job ${job.id}`, async (redis) => {
      await redis.hset(this.context.keys.catalogJobs(), job.id, json);
    });
  }

  async getJob(id: string): Promise<JobRecord | undefined> {
    return this.context.call(`read job ${id}`, async (redis) => parse<JobRecord>(await redis.hget(this.context.keys.catalogJobs(), id)));
  }

  async listJobs(): Promise<JobRecord[]> {
    return this.context.call("list jobs", async (redis) => {
      const jobs = (await redis.hvals(this.context.keys.catalogJobs())).map((json) => JSON.parse(json) as JobRecord);
      return jobs.sort((a, b) => compare(a.id, b.id));
    });
  }

  async deleteJob(id: string): Promise<void> {
    return this.context.call(`delete job ${id}`, async (redis) => {
      await redis.hdel(this.context.keys.catalogJobs(), id);
    });
  }
}

function parse<T>(json: string | null): T | undefined {
  return json === null ? undefined : (JSON.parse(json) as T);
}

/** Sorted by code unit, like the other stores, so listings do not depend on the locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
