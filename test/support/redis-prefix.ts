/** A fresh key prefix per test on a shared Redis, and removing every key under it afterwards. */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { RedisKeys } from "../../src/store/redis/redis-keys.js";

export function freshKeyPrefix(): string {
  return `trib-test-${randomBytes(6).toString("hex")}:`;
}

export async function deleteKeysUnder(url: string, prefix: string): Promise<void> {
  const admin = new Redis(url);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await admin.scan(cursor, "MATCH", new RedisKeys(prefix).pattern(), "COUNT", 1000);
      if (keys.length > 0) await admin.unlink(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    await admin.quit();
  }
}
