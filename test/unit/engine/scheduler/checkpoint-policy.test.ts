/** When jobs checkpoint: every N batches on whole slides, each job at its own phase when staggered. */
import { describe, expect, it } from "vitest";
import { checkpointEveryBatches, checkpointPhase, isCheckpointBatch } from "../../../../src/engine/scheduler/checkpoint-policy.js";
import { Duration } from "../../../../src/engine/time.js";

const second = Duration.ofMs(1000);
const batch = Duration.ofMs(100);

describe("checkpointPhase", () => {
  it("is a whole number of slides within the period, the same for the same name", () => {
    const every = checkpointEveryBatches(batch, second, 10_000);
    expect(every).toBe(100);
    for (let j = 0; j < 50; j++) {
      const phase = checkpointPhase(`wc-${j}`, batch, second, every);
      expect(phase % 10).toBe(0);
      expect(phase).toBeGreaterThanOrEqual(0);
      expect(phase).toBeLessThan(every);
      expect(checkpointPhase(`wc-${j}`, batch, second, every)).toBe(phase);
    }
  });

  it("spreads jobs over the period instead of putting them all in one batch", () => {
    const every = checkpointEveryBatches(second, second, 10_000);
    const phases = new Set(Array.from({ length: 200 }, (_, j) => checkpointPhase(`wc-${j}`, second, second, every)));
    expect(phases.size).toBeGreaterThanOrEqual(8);
  });

  it("moves the checkpoint batches by the phase, one every period", () => {
    const every = checkpointEveryBatches(second, second, 10_000);
    const times = (phase: number) => Array.from({ length: 30 }, (_, i) => (i + 1) * 1000).filter((t) => isCheckpointBatch(t, second, every, phase));
    expect(times(0)).toEqual([10_000, 20_000, 30_000]);
    expect(times(3)).toEqual([3_000, 13_000, 23_000]);
  });
});
