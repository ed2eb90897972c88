/**
 * Leases, fencing and membership: a job's lease goes to one node at a time with an epoch that only
 * grows; every job-scoped write with a stale epoch is refused and changes nothing.
 */
import { describe, expect, it } from "vitest";
import { FencedError, type NodeInfo } from "../../../../src/store/types.js";
import { bytes, descriptor, frame, type ConformanceSubject } from "./fixtures.js";

const TTL = 60_000;

function node(id: string, jobs = 0): NodeInfo {
  return { id, address: `http://127.0.0.1:${id.length}`, startedAt: 1_700_000_000_000, jobs, busyMsPerSec: 0 };
}

export function describeLeaseContract(subject: ConformanceSubject): void {
  describe("leases and fencing", () => {
    it("grants a job's lease to one node, again to the same node, never to another while held", async () => {
      const { leases } = subject.store;
      const first = await leases.acquire("job-a", "node-1", TTL);
      expect(first).toEqual({ jobId: "job-a", node: "node-1", epoch: 1 });
      expect(await leases.acquire("job-a", "node-2", TTL)).toBeUndefined();
      expect(await leases.holder("job-a")).toEqual({ node: "node-1", epoch: 1 });
      // The same node restarted takes its lease back at once, with a newer epoch.
      expect(await leases.acquire("job-a", "node-1", TTL)).toEqual({ jobId: "job-a", node: "node-1", epoch: 2 });
      expect(await leases.acquire("job-b", "node-2", TTL)).toEqual({ jobId: "job-b", node: "node-2", epoch: 1 });
    });

    it("renews only the current lease; a released or lapsed one goes to the next node with a newer epoch", async () => {
      const { leases } = subject.store;
      const first = (await leases.acquire("job-a", "node-1", TTL))!;
      expect(await leases.renew(first, TTL)).toBe(true);
      await leases.release(first);
      expect(await leases.holder("job-a")).toBeUndefined();
      expect(await leases.renew(first, TTL)).toBe(false);
      await expect(subject.store.results.append("job-a", frame(1), first)).rejects.toBeInstanceOf(FencedError);
      const second = (await leases.acquire("job-a", "node-2", 50))!;
      expect(second.epoch).toBeGreaterThan(first.epoch);
      await waitUntil(async () => (await leases.holder("job-a")) === undefined);
      // Lapsed, but granted to nobody since: still node-2's, renewed.
      expect(await leases.renew(second, TTL)).toBe(true);
      expect(await leases.holder("job-a")).toEqual({ node: "node-2", epoch: second.epoch });
      await leases.release(second);
      const third = (await leases.acquire("job-a", "node-3", 50))!;
      expect(third.epoch).toBeGreaterThan(second.epoch);
      await waitUntil(async () => (await leases.holder("job-a")) === undefined);
      const fourth = (await leases.acquire("job-a", "node-1", TTL))!;
      expect(fourth.epoch).toBe(third.epoch + 1);
      // Lapsed and granted again: no longer node-3's.
      expect(await leases.renew(third, TTL)).toBe(false);
      expect(await leases.renew(second, TTL)).toBe(false);
    });

    it("seizes a held lease, fencing its holder", async () => {
      const { leases } = subject.store;
      const held = (await leases.acquire("job-a", "node-1", TTL))!;
      const seized = await leases.seize("job-a", "node-2", TTL);
      expect(seized.epoch).toBe(held.epoch + 1);
      expect(await leases.renew(held, TTL)).toBe(false);
      await expect(subject.store.batches.record(descriptor("job-a", 1_000), held)).rejects.toBeInstanceOf(FencedError);
    });

    it("refuses every job-scoped write with a stale epoch and changes nothing", async () => {
      const { store } = subject;
      const old = (await store.leases.acquire("job-a", "node-1", TTL))!;
      await store.batches.record(descriptor("job-a", 1_000), old);
      await store.results.append("job-a", frame(1), old);
      await store.checkpoints.save("job-a", 1_000, 0, bytes("state-1"), old);
      await store.checkpoints.complete("job-a", 1_000, 1, undefined, old);
      await store.leases.release(old);
      const current = (await store.leases.acquire("job-a", "node-2", TTL))!;

      const refused = [
        store.batches.record(descriptor("job-a", 2_000), old),
        store.batches.trim("job-a", 5_000, old),
        store.results.append("job-a", frame(2), old),
        store.checkpoints.save("job-a", 2_000, 0, bytes("state-2"), old),
        store.checkpoints.complete("job-a", 1_000, 1, { batches: 9, events: 9, rowErrors: 0, lateEvents: 0 }, old),
      ];
      for (const write of refused) {
        const error = await write.then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(FencedError);
        expect((error as FencedError).currentEpoch).toBe(current.epoch);
      }
      expect((await store.batches.list("job-a", 0, 10)).map((d) => d.batchTime)).toEqual([1_000]);
      expect(await store.results.bounds("job-a")).toEqual({ first: 1, last: 1 });
      expect(await store.checkpoints.load("job-a", 2_000, 0)).toBeUndefined();
      expect(await store.checkpoints.counters("job-a", 1_000)).toBeUndefined();

      // The current holder writes as usual; another job's writes are not affected by this job's epoch.
      await store.batches.record(descriptor("job-a", 2_000), current);
      await store.results.append("job-a", frame(2), current);
      expect(await store.results.bounds("job-a")).toEqual({ first: 1, last: 2 });
      await store.results.append("job-b", frame(1), (await store.leases.acquire("job-b", "node-1", TTL))!);
    });

    it("keeps the epoch growing after the job's data is dropped, so a holder of the old job stays fenced", async () => {
      const { store } = subject;
      const old = (await store.leases.acquire("job-a", "node-1", TTL))!;
      await store.leases.seize("job-a", "node-2", TTL);
      await Promise.all([store.batches.drop("job-a"), store.results.drop("job-a"), store.checkpoints.drop("job-a")]);
      const again = await store.leases.seize("job-a", "node-3", TTL);
      expect(again.epoch).toBeGreaterThan(old.epoch + 1);
      await expect(store.results.append("job-a", frame(1), old)).rejects.toBeInstanceOf(FencedError);
    });

    it("lists nodes while their announcement lasts; a node that leaves or lapses is gone", async () => {
      const { members } = subject.store;
      expect(await members.live()).toEqual([]);
      await members.announce(node("node-1", 3), TTL);
      await members.announce(node("node-2"), 50);
      await members.announce(node("node-3"), TTL);
      await members.leave("node-3");
      await waitUntil(async () => (await members.live()).length === 1);
      expect(await members.live()).toEqual([node("node-1", 3)]);
      await members.announce(node("node-1", 4), TTL);
      expect(await members.live()).toEqual([node("node-1", 4)]);
    });
  });
}

async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met within 30 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
