/** The window emit section on small sizes: its answers check out and it sees the rows each mode sends. */
import { describe, expect, it } from "vitest";
import { measureWindowEmit } from "../../bench/window-emit.js";

describe("window emit bench", () => {
  it("sends every key with emit all and only the changed ones with emit changes, the same windows either way", async () => {
    const failures: string[] = [];
    const figures = await measureWindowEmit({ keys: 300, eventsPerSlide: 5, measuredSlides: 3 }, failures);
    expect(failures).toEqual([]);
    expect(figures).toMatchObject({ keys: 300, allRowsPerSlide: 300, changesRowsPerSlide: 5 });
    expect(figures.ratio).not.toBeNull();
  }, 60_000);
});
