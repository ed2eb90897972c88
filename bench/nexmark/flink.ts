/**
 * Flink's published Nexmark figures, throughput per core (events/s): the table "Benchmark Results"
 * of nexmark/nexmark's README (commit e1ca9ec, 2023; the same table is in GUIDE_V1.md today):
 * Flink 1.13, 3 workers of 8 cores, 8 task managers of one slot, RocksDB with incremental
 * checkpoints every 3 minutes, mini-batches; 100 million events from the built-in generator at
 * 10 million events/s; throughput per core = events / (time × cores used, measured on the workers).
 */
import type { QueryName } from "./queries.js";

export const FLINK_SOURCE = "nexmark/nexmark README, Benchmark Results (Flink 1.13, 3 × 8-core workers, 100 M events)";

export const FLINK_EVENTS_PER_SEC_PER_CORE: Record<QueryName, number> = {
  q0: 155_020,
  q1: 157_940,
  q2: 175_210,
  q3: 152_120,
  q4: 34_330,
  q5: 22_140,
  q7: 12_330,
  q8: 146_140,
};
