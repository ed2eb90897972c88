import { describe, expect, it } from "vitest";
import { PartitionOwnership } from "../../../src/workers/pool/partition-ownership.js";

describe("PartitionOwnership", () => {
  it("deals a job's partitions round-robin, starting each job one worker further", () => {
    const o = new PartitionOwnership();
    expect(o.assignJob("a", 4, [0, 1])).toEqual([0, 1, 0, 1]);
    expect(o.assignJob("b", 3, [0, 1])).toEqual([1, 0, 1]);
    expect(o.ownerOf("a", 2)).toBe(0);
    expect(o.partitionsOf(1)).toEqual([
      { jobId: "a", partition: 1 },
      { jobId: "a", partition: 3 },
      { jobId: "b", partition: 0 },
      { jobId: "b", partition: 2 },
    ]);
  });

  it("hands a lost worker's partitions to every live worker, evenly", () => {
    const o = new PartitionOwnership();
    o.assignJob("a", 6, [0, 1, 2]);
    const moves = o.reassign(1, [0, 2, 3]);
    expect(moves).toEqual([
      { jobId: "a", partition: 1, owner: 0 },
      { jobId: "a", partition: 4, owner: 2 },
    ]);
    expect(o.partitionsOf(1)).toEqual([]);
    expect([0, 1, 2, 3, 4, 5].map((p) => o.ownerOf("a", p))).toEqual([0, 0, 2, 0, 2, 2]);
  });

  it("evens each job out again after a loss, moving as few partitions as it takes", () => {
    const o = new PartitionOwnership();
    o.assignJob("a", 4, [0, 1]); // 0, 1, 0, 1
    o.assignJob("b", 3, [0, 1]); // 1, 0, 1
    o.reassign(0, [1, 2]); // a: 1, 1, 2, 1 and b: 1, 1, 1 — worker 2 is the promoted standby
    const moves = o.rebalance([1, 2]);
    expect(moves).toEqual([
      { jobId: "a", partition: 3, from: 1, owner: 2 },
      { jobId: "b", partition: 2, from: 1, owner: 2 },
    ]);
    // Nothing moves until each move is applied.
    expect(o.ownerOf("a", 3)).toBe(1);
    for (const m of moves) o.move(m.jobId, m.partition, m.owner);
    expect([0, 1, 2, 3].map((p) => o.ownerOf("a", p))).toEqual([1, 1, 2, 2]);
    expect([0, 1, 2].map((p) => o.ownerOf("b", p))).toEqual([1, 1, 2]);
    expect(o.rebalance([1, 2])).toEqual([]);
  });

  it("spreads a job over a worker that owns none of it", () => {
    const o = new PartitionOwnership();
    o.assignJob("a", 6, [0]);
    const moves = o.rebalance([0, 1, 2]);
    for (const m of moves) o.move(m.jobId, m.partition, m.owner);
    const counts = [0, 1, 2].map((w) => o.partitionsOf(w).length);
    expect(counts).toEqual([2, 2, 2]);
    expect(moves.length).toBe(4);
    expect(o.rebalance([0])).toEqual([]);
  });

  it("refuses to assign with no live worker", () => {
    const o = new PartitionOwnership();
    expect(() => o.assignJob("a", 2, [])).toThrow(/no live worker/);
    o.assignJob("b", 2, [0]);
    expect(() => o.reassign(0, [])).toThrow(/no live worker/);
  });

  it("forgets a removed job", () => {
    const o = new PartitionOwnership();
    o.assignJob("a", 2, [0, 1]);
    o.removeJob("a");
    expect(o.ownerOf("a", 0)).toBeUndefined();
    expect(o.partitionsOf(0)).toEqual([]);
  });
});
