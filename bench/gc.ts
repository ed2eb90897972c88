/**
 * Collects garbage between measurements when node runs with --expose-gc (the bench script does), so
 * that no implementation pays inside a timed batch for the garbage left by generating its input.
 */
const gc = (globalThis as { gc?: () => void }).gc;

export function collectGarbage(): void {
  gc?.();
}

/** Records generated since the last collection; below this a collection costs more than it saves. */
const COLLECT_EVERY_RECORDS = 20_000;
let sinceCollection = 0;

/** Called before a timed batch with the records generated for it: collects once enough have piled up. */
export function collectGarbageAfter(records: number): void {
  sinceCollection += records;
  if (sinceCollection < COLLECT_EVERY_RECORDS) return;
  sinceCollection = 0;
  gc?.();
}
