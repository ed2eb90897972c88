/** How a key picks its partition: FNV-1a over the key's text, stable across processes and restarts. */
export function hashPartition(key: unknown, partitions: number): number {
  const text = String(key);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}
