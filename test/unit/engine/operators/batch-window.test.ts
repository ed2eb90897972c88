/** A window's batches leave by their batch time, also when batch times jump (a restart). */
import { describe, expect, it } from "vitest";
import { BatchWindow } from "../../../../src/engine/operators/batch-window.js";
import { Sealed } from "../../../../src/engine/operators/sealed.js";

describe("BatchWindow", () => {
  it("holds the batches in (t - length, t], whatever the gaps between them", () => {
    const w = new BatchWindow<string, string>(3000, 1000);
    expect([w.add(1000, "a"), w.add(2000, "b"), w.add(3000, "c")]).toEqual([[], [], []]);
    expect(w.add(4000, "d")).toEqual(["a"]);
    // Batches 5000 and 6000 were never cut (the server was down): b and c leave by time.
    expect(w.add(7000, "g")).toEqual(["b", "c", "d"]);
    expect(w.values()).toEqual(["g"]);
    expect(w.add(8000, "h")).toEqual([]);
    expect(w.values()).toEqual(["g", "h"]);
  });

  it("keeps batch times in its checkpoint, and reads a checkpoint written before them as consecutive batches", () => {
    const w = new BatchWindow<string, string>(3000, 1000);
    w.add(1000, "a");
    w.add(2000, "b");
    const snapshot = w.snapshot((v) => v.toUpperCase());
    expect(snapshot.times).toEqual([1000, 2000]);
    expect(snapshot.parts.map((p) => p.value)).toEqual(["A", "B"]);

    const restored = new BatchWindow<string, string>(3000, 1000);
    restored.restore(snapshot, (p) => (p instanceof Sealed ? p.value : p).toLowerCase());
    expect(restored.add(5000, "e")).toEqual(["a", "b"]);

    const legacy = new BatchWindow<string, string>(3000, 1000);
    legacy.restore({ parts: ["a", "b"] }, (p) => (p instanceof Sealed ? p.value : p));
    // Without times, a and b are taken as the two batches right before the next one (3000 and 4000).
    expect(legacy.add(5000, "e")).toEqual([]);
    expect(legacy.add(6000, "f")).toEqual(["a"]);
  });

  it("with a slice, batches leave by whole slices: at a slide it holds exactly (t - length, t]", () => {
    // Length 4 s, slices of 2 s: (0,2] (2,4] (4,6] ...
    const w = new BatchWindow<string, string>(4000, 1000, 2000);
    for (const [t, v] of [[1000, "a"], [2000, "b"], [3000, "c"], [4000, "d"]] as const) expect(w.add(t, v)).toEqual([]);
    // a (t 1000) is out of (1000, 5000] but its slice (0,2] is still partly in: it stays.
    expect(w.add(5000, "e")).toEqual([]);
    expect(w.add(6000, "f")).toEqual(["a", "b"]);
    expect(w.values()).toEqual(["c", "d", "e", "f"]);
    expect(w.times()).toEqual([3000, 4000, 5000, 6000]);
  });
});
