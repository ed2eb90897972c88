/** Catalog: streams and jobs put, got, listed and deleted; names claimed atomically by create. */
import { describe, expect, it } from "vitest";
import type { JobRecord } from "../../../../src/store/types.js";
import { streamDefinition, jobRecord, byName, byId, type ConformanceSubject } from "./fixtures.js";

export function describeCatalogContract(subject: ConformanceSubject): void {
  describe("catalog", () => {
    it("puts, gets, overwrites, lists and deletes streams", async () => {
      expect(await subject.store.catalog.getStream("clicks")).toBeUndefined();
      expect(await subject.store.catalog.listStreams()).toEqual([]);
      await subject.store.catalog.putStream(streamDefinition("clicks"));
      await subject.store.catalog.putStream(streamDefinition("views", 4));
      expect(await subject.store.catalog.getStream("clicks")).toEqual(streamDefinition("clicks"));
      await subject.store.catalog.putStream(streamDefinition("clicks", 8));
      expect(await subject.store.catalog.getStream("clicks")).toEqual(streamDefinition("clicks", 8));
      expect((await subject.store.catalog.listStreams()).sort(byName)).toEqual([streamDefinition("clicks", 8), streamDefinition("views", 4)]);
      await subject.store.catalog.deleteStream("clicks");
      expect(await subject.store.catalog.getStream("clicks")).toBeUndefined();
      expect(await subject.store.catalog.listStreams()).toEqual([streamDefinition("views", 4)]);
      await expect(subject.store.catalog.deleteStream("never-there")).resolves.toBeUndefined();
    });

    it("puts, gets, overwrites, lists and deletes jobs", async () => {
      expect(await subject.store.catalog.getJob("job-a")).toBeUndefined();
      expect(await subject.store.catalog.listJobs()).toEqual([]);
      await subject.store.catalog.putJob(jobRecord("job-a"));
      await subject.store.catalog.putJob(jobRecord("job-b", "paused"));
      const failed: JobRecord = { ...jobRecord("job-a", "failed"), failure: "state too large" };
      await subject.store.catalog.putJob(failed);
      expect(await subject.store.catalog.getJob("job-a")).toEqual(failed);
      expect((await subject.store.catalog.listJobs()).sort(byId)).toEqual([failed, jobRecord("job-b", "paused")]);
      await subject.store.catalog.deleteJob("job-a");
      expect(await subject.store.catalog.getJob("job-a")).toBeUndefined();
      expect(await subject.store.catalog.listJobs()).toEqual([jobRecord("job-b", "paused")]);
      await expect(subject.store.catalog.deleteJob("never-there")).resolves.toBeUndefined();
    });

    it("keeps streams and jobs in separate namespaces", async () => {
      await subject.store.catalog.putStream(streamDefinition("same"));
      await subject.store.catalog.putJob(jobRecord("same"));
      await subject.store.catalog.deleteStream("same");
      expect(await subject.store.catalog.getJob("same")).toEqual(jobRecord("same"));
    });

    it("creates a stream only while its name is free, and again once it is deleted", async () => {
      expect(await subject.store.catalog.createStream(streamDefinition("clicks"))).toBe(true);
      expect(await subject.store.catalog.createStream(streamDefinition("clicks", 8))).toBe(false);
      expect(await subject.store.catalog.getStream("clicks")).toEqual(streamDefinition("clicks"));
      await subject.store.catalog.putJob(jobRecord("views"));
      expect(await subject.store.catalog.createStream(streamDefinition("views", 3))).toBe(true);
      await subject.store.catalog.deleteStream("clicks");
      expect(await subject.store.catalog.createStream(streamDefinition("clicks", 8))).toBe(true);
      expect((await subject.store.catalog.listStreams()).sort(byName)).toEqual([streamDefinition("clicks", 8), streamDefinition("views", 3)]);
    });

    it("creates a job only while its id is free, and again once it is deleted", async () => {
      expect(await subject.store.catalog.createJob(jobRecord("job-a"))).toBe(true);
      expect(await subject.store.catalog.createJob(jobRecord("job-a", "paused"))).toBe(false);
      expect(await subject.store.catalog.getJob("job-a")).toEqual(jobRecord("job-a"));
      await subject.store.catalog.deleteJob("job-a");
      expect(await subject.store.catalog.createJob(jobRecord("job-a", "paused"))).toBe(true);
      expect(await subject.store.catalog.listJobs()).toEqual([jobRecord("job-a", "paused")]);
    });

    it("lets exactly one of concurrent creators of a name win, and keeps what the winner wrote", async () => {
      const streams = Array.from({ length: 20 }, (_, i) => streamDefinition("clicks", i + 1));
      const jobs = streams.map((_, i) => ({ ...jobRecord("job-a"), createdAt: i }));
      const [streamWins, jobWins] = await Promise.all([
        Promise.all(streams.map((each) => subject.store.catalog.createStream(each))),
        Promise.all(jobs.map((each) => subject.store.catalog.createJob(each))),
      ]);
      expect(streamWins.filter(Boolean)).toHaveLength(1);
      expect(jobWins.filter(Boolean)).toHaveLength(1);
      expect(await subject.store.catalog.getStream("clicks")).toEqual(streams[streamWins.indexOf(true)]);
      expect(await subject.store.catalog.getJob("job-a")).toEqual(jobs[jobWins.indexOf(true)]);
    });

    it("keeps a created name claimed across a reopen", async (ctx) => {
      await subject.store.catalog.createStream(streamDefinition("clicks"));
      await subject.store.catalog.createJob(jobRecord("job-a"));
      const again = await subject.reopen(ctx);
      expect(await again.catalog.createStream(streamDefinition("clicks", 8))).toBe(false);
      expect(await again.catalog.createJob(jobRecord("job-a", "paused"))).toBe(false);
      expect(await again.catalog.getStream("clicks")).toEqual(streamDefinition("clicks"));
      expect(await again.catalog.getJob("job-a")).toEqual(jobRecord("job-a"));
    });

    it("keeps every change made concurrently", async () => {
      const names = Array.from({ length: 10 }, (_, i) => `s${i}`);
      await Promise.all(names.map((each) => subject.store.catalog.putStream(streamDefinition(each))));
      expect((await subject.store.catalog.listStreams()).map((each) => each.name).sort()).toEqual(names);
    });
  });
}
