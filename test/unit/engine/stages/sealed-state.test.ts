/**
 * Sealed state parts: packed once, embedded as the same bytes in every later checkpoint, and read
 * back exactly; a window's checkpoint reuses what earlier checkpoints packed.
 */
import { describe, expect, it } from "vitest";
import { Sealed } from "../../../../src/engine/operators/sealed.js";
import { windowAggregateStage } from "../../../../src/engine/operators/window-aggregate.js";
import { decodeState, encodeState } from "../../../../src/engine/stages/shuffle-codec.js";
import { Duration } from "../../../../src/engine/time.js";

describe("Sealed", () => {
  it("is packed once and round-trips with its bytes", () => {
    const part = new Sealed([{ key: "a", rows: 2, acc: [2, 7] }, { key: undefined, rows: 1, acc: [Infinity] }]);
    const first = encodeState({ parts: [part], live: 1 });
    const bytes = part.packed;
    expect(bytes).toBeInstanceOf(Uint8Array);
    const second = encodeState({ parts: [part], live: 1 });
    expect(part.packed).toBe(bytes);
    expect(second).toEqual(first);
    const back = decodeState(second) as { parts: Sealed<unknown>[]; live: number };
    expect(back.parts[0]).toBeInstanceOf(Sealed);
    expect(back.parts[0]!.value).toEqual(part.value);
    expect([...back.parts[0]!.packed!]).toEqual([...bytes!]);
    expect(back.live).toBe(1);
  });

  it("lets a window's checkpoints reuse the partials earlier checkpoints packed", () => {
    const spec = { length: Duration.ofMs(5000), slide: Duration.ofMs(1000), batchInterval: Duration.ofMs(1000) };
    const stage = windowAggregateStage(spec, { n: { fn: "count" } }, { keyed: true });
    const reducer = stage.reducer(0);
    const ctx = (batchTime: number) => ({ batchTime, onRowError: (e: Error) => { throw e; } });
    const run = (batchTime: number, keys: string[]) => reducer.reduce([stage.partial(keys.map((key) => ({ key })), ctx(batchTime))], ctx(batchTime));
    run(1000, ["a", "b"]);
    run(2000, ["a"]);
    const first = reducer.state!.snapshot() as { partials: Sealed<unknown>[] };
    encodeState(first);
    run(3000, ["c"]);
    const second = reducer.state!.snapshot() as { partials: Sealed<unknown>[] };
    // The two older partials are the very parts the first checkpoint packed; only the newest is new.
    expect(second.partials.slice(0, 2)).toEqual(first.partials);
    expect(second.partials[0]).toBe(first.partials[0]);
    expect(second.partials[1]!.packed).toBeInstanceOf(Uint8Array);
    expect(second.partials[2]!.packed).toBeUndefined();
    // Restored from its bytes, the window goes on exactly as the original.
    const restored = stage.reducer(0);
    restored.state!.restore(decodeState(encodeState(second)));
    const next = (r: typeof reducer) => r.reduce([stage.partial([{ key: "a" }], ctx(4000))], ctx(4000));
    expect(next(restored)).toEqual(next(reducer));
  });
});
