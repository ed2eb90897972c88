/** Memory is bounded by default: ingest is shed before the process could run out of it. */
import { totalmem } from "node:os";
import { getHeapStatistics } from "node:v8";
import { expect, it } from "vitest";
import { defaultMemoryBounds, loadConfig } from "../../src/config.js";

it("sheds ingest by default at 80 % of the memory the process may use and 85 % of the heap limit; 0 turns it off", () => {
  const config = loadConfig({});
  const bounds = defaultMemoryBounds();
  expect(config.SHED_RSS_BYTES).toBe(bounds.rssBytes);
  expect(config.SHED_HEAP_USED_BYTES).toBe(bounds.heapUsedBytes);
  expect(bounds.rssBytes).toBeGreaterThan(0);
  expect(bounds.rssBytes).toBeLessThanOrEqual(totalmem() * 0.8);
  expect(bounds.heapUsedBytes).toBe(Math.floor(getHeapStatistics().heap_size_limit * 0.85));
  const off = loadConfig({ SHED_RSS_BYTES: "0", SHED_HEAP_USED_BYTES: "0" });
  expect([off.SHED_RSS_BYTES, off.SHED_HEAP_USED_BYTES]).toEqual([0, 0]);
});
