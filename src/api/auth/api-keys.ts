/**
 * API keys: each bound to a tenant and a role. Keys come from the environment (API_KEYS) and from a
 * file (API_KEYS_FILE), are held only as SHA-256 digests, and a presented key is compared with every
 * digest in constant time. The file may hold digests instead of keys, so it need not hold a secret.
 *
 *   API_KEYS       "tenant:role:key,tenant:role:key"
 *   API_KEYS_FILE  one key a line, "tenant role key" or "tenant role sha256:<64 hex digits>"; # comments
 */
import { createHash, timingSafeEqual } from "node:crypto";

export const ROLES = ["reader", "writer", "admin"] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  readonly tenant: string;
  readonly role: Role;
}

interface KeyEntry extends Principal {
  readonly digest: Buffer;
}

const TENANT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const DIGEST = /^sha256:([0-9a-f]{64})$/;

export class ApiKeys {
  private constructor(private readonly entries: readonly KeyEntry[]) {}

  /** Parses both sources; throws an Error naming the bad entry (never the key itself). */
  static parse(fromEnv: string | undefined, fromFile: string | undefined): ApiKeys {
    const entries: KeyEntry[] = [];
    for (const [i, item] of (fromEnv ?? "").split(",").entries()) {
      if (item.trim() === "") continue;
      const [tenant, role, ...rest] = item.trim().split(":");
      entries.push(entry(tenant, role, rest.join(":"), `API_KEYS entry ${i + 1}`));
    }
    for (const [i, line] of (fromFile ?? "").split("\n").entries()) {
      const text = line.replace(/#.*/, "").trim();
      if (text === "") continue;
      const [tenant, role, key, ...extra] = text.split(/\s+/);
      if (extra.length > 0) throw new Error(`API_KEYS_FILE line ${i + 1}: expected "tenant role key", found more fields`);
      entries.push(entry(tenant, role, key, `API_KEYS_FILE line ${i + 1}`));
    }
    return new ApiKeys(entries);
  }

  /** Whether any key is configured; without keys the server runs open. */
  get enabled(): boolean {
    return this.entries.length > 0;
  }

  get size(): number {
    return this.entries.length;
  }

  /** The key's tenant and role, or undefined. Every digest is compared, whatever matches. */
  verify(key: string): Principal | undefined {
    const digest = sha256(key);
    let found: KeyEntry | undefined;
    for (const e of this.entries) if (timingSafeEqual(e.digest, digest) && !found) found = e;
    return found && { tenant: found.tenant, role: found.role };
  }
}

function entry(tenant: string | undefined, role: string | undefined, key: string | undefined, where: string): KeyEntry {
  if (!tenant || !TENANT.test(tenant)) throw new Error(`${where}: the tenant must be 1-64 letters, digits, '-', '_' or '.'`);
  if (!(ROLES as readonly string[]).includes(role ?? "")) throw new Error(`${where}: the role must be one of ${ROLES.join(", ")}`);
  if (!key) throw new Error(`${where}: no key`);
  const hashed = DIGEST.exec(key);
  if (!hashed && key.length < 16) throw new Error(`${where}: a key must have at least 16 characters`);
  return { tenant, role: role as Role, digest: hashed ? Buffer.from(hashed[1]!, "hex") : sha256(key) };
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** The line to put in API_KEYS_FILE for a key, without the key itself. */
export function digestLine(tenant: string, role: Role, key: string): string {
  return `${tenant} ${role} sha256:${sha256(key).toString("hex")}`;
}
