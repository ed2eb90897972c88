/**
 * Limits on one event's shape, checked at ingest before anything is stored. They bound what one event
 * can cost the server: serializing it (JSON.stringify recurses, so an event nested thousands deep
 * overflows the stack), storing it, and every batch that later parses it and runs expressions over it.
 *
 * The shape (depth, fields) is walked without recursion, so that any event a body can hold is refused
 * in words rather than by a stack overflow; only an event within the depth limit is then serialized,
 * once, and that text is the one stored in the block.
 */

export const EVENT_LIMITS = {
  /** Objects and arrays inside each other, counting the event itself (`{"a": {"b": 1}}` is 2 deep). */
  maxDepth: 32,
  /** Fields in total across the event's objects, nested ones included. */
  maxFields: 1000,
  /** Bytes of the event's JSON text (UTF-8). */
  maxBytes: 64 * 1024,
} as const;

export type EventLimit = keyof typeof EVENT_LIMITS;

/** An event within the limits, with its JSON text; or the limit it breaks, in words that say what to change. */
export type EventCheck = { readonly json: string } | { readonly limit: EventLimit; readonly problem: string };

/** Checks an event (a JSON object) against {@link EVENT_LIMITS}. */
export function checkEventLimits(event: object): EventCheck {
  const { maxDepth, maxFields, maxBytes } = EVENT_LIMITS;
  let fields = 0;
  const pending: object[] = [event];
  const depths: number[] = [1];
  while (pending.length > 0) {
    const value = pending.pop()!;
    const depth = depths.pop()!;
    const children = Array.isArray(value) ? (value as unknown[]) : Object.values(value);
    if (!Array.isArray(value)) {
      fields += children.length;
      if (fields > maxFields) {
        return { limit: "maxFields", problem: `has more than ${maxFields} fields (counting those of nested objects); an event may have at most ${maxFields} (send the rest as events of their own)` };
      }
    }
    for (const child of children) {
      if (child === null || typeof child !== "object") continue;
      if (depth >= maxDepth) {
        return { limit: "maxDepth", problem: `nests objects and arrays more than ${maxDepth} deep; an event may nest at most ${maxDepth} (flatten it)` };
      }
      pending.push(child);
      depths.push(depth + 1);
    }
  }
  const json = JSON.stringify(event);
  // Every UTF-16 unit is 1-3 bytes in UTF-8, so only a long text needs counting.
  if (json.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(json, "utf8");
    if (bytes > maxBytes) {
      return { limit: "maxBytes", problem: `is ${bytes} bytes as JSON; an event may have at most ${maxBytes} (${maxBytes / 1024} KiB; split it, or store large values elsewhere and send a reference)` };
    }
  }
  return { json };
}
