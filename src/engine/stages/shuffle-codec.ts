/**
 * What crosses threads between stages: partial groups and rows, packed with msgpackr into one buffer
 * each (transferable, and no per-object structured clone). msgpackr keeps `undefined` keys (the
 * global group) and ±Infinity (empty min/max) exactly.
 *
 * Objects are packed as msgpackr records: each shape's field names are written once per buffer and
 * its objects as bare values, which unpacks about three times faster than a map per object (the rows
 * of a batch and the entries of a share mostly have one shape). Every buffer carries its own record
 * definitions, so any thread or process unpacks it alone; buffers packed before records (plain maps,
 * in older checkpoints) still unpack to the same objects.
 */
import { addExtension, Packr, type Options } from "msgpackr";
import type { Entry, Groups } from "../operators/aggregate-set.js";
import type { Row } from "../operators/operator.js";
import { Sealed } from "../operators/sealed.js";
import { addProtoKeysExtension, packKeepingProtoKeys } from "./proto-keys.js";

const OPTIONS: Options = { useRecords: true, mapsAsObjects: true, moreTypes: false };
const packr = new Packr(OPTIONS);
/** Packs the insides of Sealed parts, apart from the packing of the state around them. */
const sealedPackr = new Packr(OPTIONS);
/** Packs the insides of values whose "__proto__" keys are escaped (see proto-keys.ts). */
const escapedPackr = new Packr(OPTIONS);
addProtoKeysExtension(21, escapedPackr);

/** A Sealed part is packed once; its bytes are kept on it and embedded as they are from then on. */
addExtension({
  Class: Sealed,
  type: 20,
  pack: (sealed: Sealed<unknown>) => (sealed.packed ??= packKeepingProtoKeys(sealedPackr, sealed.value)),
  // Unpacked when first read, outside the unpacking of the state around it (nesting is slower).
  unpack: (bytes: Uint8Array) => Sealed.fromPacked(new Uint8Array(bytes), (own) => sealedPackr.unpack(own)),
});

/**
 * msgpackr returns a view into a buffer it reuses and grows (up to the largest thing ever packed).
 * Posting such a view to a worker thread copies that whole buffer, so every packed result is copied
 * out to a buffer of its own size.
 */
function pack(value: unknown): Uint8Array {
  return packKeepingProtoKeys(packr, value);
}

/** Packing reads the entries without changing them, so they are packed as they are (no copy). */
export function encodeGroups(groups: Groups): Uint8Array {
  return pack([...groups.values()]);
}

export function decodeGroups(bytes: Uint8Array): Groups {
  return groupsOf(packr.unpack(bytes) as Entry[]);
}

/**
 * A share of a keyed stage's partials, sent from one map partition to one reduce partition. With an
 * event-time step it also carries the largest event time of the map partition's rows, so that every
 * reduce partition (which gets a share from every map partition) sees the batch's largest event time.
 * Without one it is exactly `encodeGroups` (a plain list of entries).
 */
export interface Share {
  readonly groups: Groups;
  readonly maxEventTime?: number;
}

interface PackedShare {
  entries: Entry[];
  maxEventTime: number;
}

export function encodeShare(groups: Groups, maxEventTime: number | undefined): Uint8Array {
  if (maxEventTime === undefined) return encodeGroups(groups);
  return pack({ entries: [...groups.values()], maxEventTime } satisfies PackedShare);
}

export function decodeShare(bytes: Uint8Array): Share {
  const packed = packr.unpack(bytes) as Entry[] | PackedShare;
  if (Array.isArray(packed)) return { groups: groupsOf(packed) };
  return { groups: groupsOf(packed.entries), maxEventTime: packed.maxEventTime };
}

/** Entries fresh from unpacking belong to nobody else, so they are used as they are (no copy). */
function groupsOf(entries: Entry[]): Groups {
  const groups: Groups = new Map();
  for (const entry of entries) groups.set(entry.key, entry);
  return groups;
}

export function encodeRows(rows: readonly Row[]): Uint8Array {
  return pack(rows);
}

export function decodeRows(bytes: Uint8Array): Row[] {
  return packr.unpack(bytes) as Row[];
}

/** Operator state for checkpoints: the same codec, so state and shuffle data round-trip alike. */
export function encodeState(state: unknown): Uint8Array {
  return pack(state);
}

export function decodeState(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
