/**
 * The shuffle codec packs objects as msgpackr records. What it packs must come back exactly, whatever
 * the rows' shapes, in a buffer that unpacks on its own; and what older versions packed as plain maps
 * (checkpoints in a store) must still unpack to the same values.
 */
import fc from "fast-check";
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import type { Groups } from "../../../../src/engine/operators/aggregate-set.js";
import type { Row } from "../../../../src/engine/operators/operator.js";
import { Sealed } from "../../../../src/engine/operators/sealed.js";
import { decodeGroups, decodeRows, decodeShare, decodeState, encodeGroups, encodeRows, encodeShare, encodeState } from "../../../../src/engine/stages/shuffle-codec.js";

/** How checkpoints and shares were packed before records. */
const plainMaps = new Packr({ useRecords: false, moreTypes: false });

/** Keys msgpackr would rename, and the escaped forms of them, come up often. */
const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("__proto__", "~__proto__", "~~__proto__", "__proto_"));
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.oneof(fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.constant(null)),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(key, tie("value"), { maxKeys: 4 }),
  ),
})).value;
const row = fc.dictionary(key, jsonValue, { maxKeys: 6 });

describe("shuffle codec", () => {
  it("round-trips rows of any JSON shape, many shapes in one buffer", () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 80 }), (rows) => {
        // As JSON, the form rows come and go in: msgpack keeps -0 as 0 (with or without records), and
        // JSON writes -0 as 0 anyway; nothing else of a JSON value changes on that trip.
        expect(decodeRows(encodeRows(rows))).toEqual(JSON.parse(JSON.stringify(rows)));
      }),
    );
  });

  it("keeps \"__proto__\" keys as ordinary keys, at any depth, in rows, shares and state", () => {
    const rows = JSON.parse(
      '[{"__proto__": {"a": 1}, "x": 1}, {"n": {"__proto__": [{"__proto__": null}]}, "~__proto__": 2, "__proto_": 3}]',
    ) as Row[];
    const decoded = decodeRows(encodeRows(rows));
    expect(decoded).toEqual(rows);
    expect(Object.keys(decoded[0]!)).toEqual(["__proto__", "x"]);
    expect(Object.getPrototypeOf(decoded[0])).toBe(Object.prototype);
    expect(Object.keys(decoded[1]!)).toEqual(["n", "~__proto__", "__proto_"]);

    const groups: Groups = new Map([["k", { key: "k", rows: 2, acc: [1], vals: [rows[0], rows[1]] }]]);
    expect(decodeShare(encodeShare(groups, 7)).groups).toEqual(groups);
    const state = { partials: [new Sealed(rows)], last: rows[1] };
    const restored = decodeState(encodeState(state)) as { partials: Sealed<Row[]>[]; last: Row };
    expect(restored.partials[0]!.value).toEqual(rows);
    expect(restored.last).toEqual(rows[1]);
  });

  it("round-trips more row shapes than msgpackr numbers in one go", () => {
    const rows = Array.from({ length: 600 }, (_, i) => ({ [`f${i}`]: i, shared: `v${i % 7}`, ...(i % 3 === 0 ? { extra: [i] } : {}) }));
    expect(decodeRows(encodeRows(rows))).toEqual(rows);
  });

  it("unpacks each buffer on its own, in any order", () => {
    const a = encodeRows([{ key: "a", count: 1 }, { key: "b", count: 2 }]);
    const b = encodeRows([{ word: "x", n: 3, more: true }]);
    expect(decodeRows(b)).toEqual([{ word: "x", n: 3, more: true }]);
    expect(decodeRows(a)).toEqual([{ key: "a", count: 1 }, { key: "b", count: 2 }]);
    expect(decodeRows(b)).toEqual([{ word: "x", n: 3, more: true }]);
  });

  it("keeps the global group's undefined key, ±Infinity and value lists in shares", () => {
    const groups: Groups = new Map([
      [undefined, { key: undefined, rows: 3, acc: [Infinity, -Infinity, 2.5] }],
      ["k", { key: "k", rows: 1, acc: [1, 2, 3], vals: [null, ["a", 1], [0, 5]] }],
    ]);
    expect(decodeGroups(encodeGroups(groups))).toEqual(groups);
    const share = decodeShare(encodeShare(groups, 12_345));
    expect(share.groups).toEqual(groups);
    expect(share.maxEventTime).toBe(12_345);
  });

  it("unpacks state, shares and rows packed as plain maps by earlier versions", () => {
    const entries = [{ key: "a", rows: 2, acc: [2] }, { key: undefined, rows: 1, acc: [-Infinity] }];
    const state = { partials: [entries, []], totals: { a: 4 }, model: { weights: [0.5, -1], bias: 0 } };
    expect(decodeState(new Uint8Array(plainMaps.pack(state)))).toEqual(state);
    expect([...decodeShare(new Uint8Array(plainMaps.pack(entries))).groups.values()]).toEqual(entries);
    const rows = [{ key: "a", count: 2 }, { nested: { deep: [1, { x: null }] } }];
    expect(decodeRows(new Uint8Array(plainMaps.pack(rows)))).toEqual(rows);
  });

  it("packs a batch's rows smaller than plain maps do", () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ key: `word${i}`, count: i }));
    expect(encodeRows(rows).byteLength).toBeLessThan(plainMaps.pack(rows).byteLength * 0.7);
    expect(decodeState(encodeState(rows))).toEqual(rows);
  });
});
