/**
 * Job leases and node membership in Redis. A lease is one key in its job's hash slot, "<epoch> <node>"
 * with the lease's time to live; the epoch beside it only grows (acquire-lease.lua), and every fenced
 * write of the job checks it in the same script (FENCE_CHECK). Nodes announce themselves as one key
 * each that expires unless renewed, listed in one set: every key in the {cluster} slot.
 */
import { assertTtl } from "../contract.js";
import type { Lease, Leases, Membership, NodeInfo } from "../types.js";
import type { RedisContext } from "./redis-context.js";
import { acquireLease } from "./scripts/acquire-lease.js";
import { renewLease } from "./scripts/renew-lease.js";

export class RedisLeases implements Leases {
  constructor(private readonly context: RedisContext) {}

  acquire(jobId: string, node: string, ttlMs: number): Promise<Lease | undefined> {
    return this.grant(jobId, node, ttlMs, "claim");
  }

  async seize(jobId: string, node: string, ttlMs: number): Promise<Lease> {
    return (await this.grant(jobId, node, ttlMs, "seize"))!;
  }

  async renew(lease: Lease, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    return this.context.call(`renew the lease of ${lease.jobId}`, async () => {
      return Number(await this.context.scripts.run(renewLease, this.keysOf(lease), [holderValue(lease), String(lease.epoch), String(ttlMs)])) === 1;
    });
  }

  async release(lease: Lease): Promise<void> {
    await this.context.call(`release the lease of ${lease.jobId}`, async () => {
      await this.context.scripts.run(renewLease, this.keysOf(lease), [holderValue(lease), String(lease.epoch), "release"]);
    });
  }

  async holder(jobId: string): Promise<{ node: string; epoch: number } | undefined> {
    const key = this.context.keys.lease(jobId);
    return this.context.call(`read the lease of ${jobId}`, async (redis) => {
      const value = await redis.get(key);
      const match = value === null ? null : /^(\d+) (.*)$/s.exec(value);
      return match === null ? undefined : { node: match[2]!, epoch: Number(match[1]) };
    });
  }

  private keysOf(lease: Lease): string[] {
    return [this.context.keys.lease(lease.jobId), this.context.keys.epoch(lease.jobId)];
  }

  private async grant(jobId: string, node: string, ttlMs: number, mode: "claim" | "seize"): Promise<Lease | undefined> {
    assertTtl(ttlMs);
    const keys = [this.context.keys.lease(jobId), this.context.keys.epoch(jobId)];
    this.context.keys.clusterNode(node); // checks the node id
    return this.context.call(`take the lease of ${jobId}`, async () => {
      const epoch = Number(await this.context.scripts.run(acquireLease, keys, [node, String(ttlMs), mode]));
      return epoch > 0 ? { jobId, node, epoch } : undefined;
    });
  }
}

export class RedisMembership implements Membership {
  constructor(private readonly context: RedisContext) {}

  async announce(node: NodeInfo, ttlMs: number): Promise<void> {
    assertTtl(ttlMs);
    const { keys } = this.context;
    const key = keys.clusterNode(node.id);
    await this.context.call(`announce node ${node.id}`, async (redis) => {
      await redis.multi().set(key, JSON.stringify(node), "PX", ttlMs).sadd(keys.clusterMembers(), node.id).exec();
    });
  }

  async leave(nodeId: string): Promise<void> {
    const { keys } = this.context;
    const key = keys.clusterNode(nodeId);
    await this.context.call(`remove node ${nodeId}`, async (redis) => {
      await redis.multi().del(key).srem(keys.clusterMembers(), nodeId).exec();
    });
  }

  async live(): Promise<NodeInfo[]> {
    const { keys } = this.context;
    return this.context.call("list the live nodes", async (redis) => {
      const ids = (await redis.smembers(keys.clusterMembers())).sort();
      if (ids.length === 0) return [];
      const values = await redis.mget(...ids.map((id) => keys.clusterNode(id)));
      const gone = ids.filter((_, i) => values[i] === null);
      // A node whose announcement lapsed is gone: forget its id too.
      if (gone.length > 0) await redis.srem(keys.clusterMembers(), ...gone);
      return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as NodeInfo);
    });
  }
}

function holderValue(lease: Lease): string {
  return `${lease.epoch} ${lease.node}`;
}
