/**
 * Keeping a "__proto__" key through msgpackr. Events are JSON, and JSON.parse keeps a "__proto__" key
 * as an ordinary key, but msgpackr unpacks it as "__proto_" (its guard against prototype pollution).
 * So a value whose packed bytes hold "__proto__" anywhere (rare: the bytes are searched, not the value)
 * is packed again with its keys escaped, inside an extension that unescapes them when it is unpacked:
 * a key that is "__proto__" after any number of "~" gets one more "~" in front, and loses it again.
 * What the codec packs (rows, entries, state) is plain objects and arrays, as unpacking gives back;
 * other objects (a Sealed part, packed on its own) are passed over both ways.
 */
import { addExtension, type Packr } from "msgpackr";

const PROTO = Buffer.from("__proto__");
const ESCAPED_OR_ESCAPABLE = /^~*__proto__$/;
const ESCAPED = /^~+__proto__$/;

/** A value whose object keys are escaped; packed as its own extension type. */
class ProtoKeys {
  constructor(readonly value: unknown) {}
}

/** Packs with `packr`, escaping keys only when the packed bytes show a "__proto__" somewhere. */
export function packKeepingProtoKeys(packr: Packr, value: unknown): Uint8Array {
  const bytes = packr.pack(value);
  if (bytes.indexOf(PROTO) === -1) return new Uint8Array(bytes);
  return new Uint8Array(packr.pack(new ProtoKeys(renameKeys(value, ESCAPED_OR_ESCAPABLE, (key) => `~${key}`))));
}

/** Registers the extension; the packr given packs and unpacks the escaped value inside it. */
export function addProtoKeysExtension(type: number, inner: Packr): void {
  addExtension({
    Class: ProtoKeys,
    type,
    pack: (escaped: ProtoKeys) => inner.pack(escaped.value),
    unpack: (bytes: Uint8Array) => renameKeys(inner.unpack(bytes), ESCAPED, (key) => key.slice(1)),
  });
}

/**
 * A copy of the value with the matching keys of its arrays and plain objects renamed; anything else
 * (a Sealed part, packed on its own) is kept as it is. Objects are built with fromEntries, so that a
 * "__proto__" key is an ordinary key.
 */
function renameKeys(value: unknown, match: RegExp, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item: unknown) => renameKeys(item, match, rename));
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [match.test(key) ? rename(key) : key, renameKeys(item, match, rename)]),
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
