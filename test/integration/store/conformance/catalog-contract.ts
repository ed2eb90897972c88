/** Catalog: streams and jobs put, got, listed and deleted. */
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

    it("keeps every change made concurrently", async () => {
      const names = Array.from({ length: 10 }, (_, i) => `s${i}`);
      await Promise.all(names.map((each) => subject.store.catalog.putStream(streamDefinition(each))));
      expect((await subject.store.catalog.listStreams()).map((each) => each.name).sort()).toEqual(names);
    });
  });
}
