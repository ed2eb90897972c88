/**
 * The seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES): where the client first asks for the
 * cluster's slot map; it finds every other node from there. A seed is `host:port`, or a URL
 * (`redis://user:password@host:port`, `rediss://` for TLS) when the cluster needs credentials or TLS;
 * every seed must then say the same, since one client talks to every node with one set of them.
 */

/** Seeds parsed, with what the client needs to reach every node. */
export interface ClusterSeeds {
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
}

/** Parses seeds; a RangeError names the seed that is wrong and what a seed looks like. */
export function parseClusterSeeds(seeds: readonly string[]): ClusterSeeds {
  if (seeds.length === 0) throw new RangeError("a Redis Cluster needs at least one seed node, as host:port");
  const parsed = seeds.map(parseSeed);
  const access = (seed: ParsedSeed): string => JSON.stringify([seed.username, seed.password, seed.tls]);
  const first = parsed[0]!;
  const differs = parsed.find((seed) => access(seed) !== access(first));
  if (differs !== undefined) {
    throw new RangeError(`Redis Cluster seeds ${redactSeed(seeds[0]!)} and ${redactSeed(differs.text)} differ in scheme, user or password: give every seed the same (one client reaches every node with them)`);
  }
  return {
    nodes: parsed.map(({ host, port }) => ({ host, port })),
    ...(first.username === undefined ? {} : { username: first.username }),
    ...(first.password === undefined ? {} : { password: first.password }),
    tls: first.tls,
  };
}

/** Splits REDIS_CLUSTER_NODES ("a:1, b:2") into seeds. */
export function splitClusterSeeds(text: string): string[] {
  return text
    .split(",")
    .map((seed) => seed.trim())
    .filter((seed) => seed !== "");
}

/** A seed without its password, for messages. */
export function redactSeed(seed: string): string {
  return seed.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/, "$1***@");
}

interface ParsedSeed {
  readonly text: string;
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
}

function parseSeed(text: string): ParsedSeed {
  const wrong = (why: string): RangeError => new RangeError(`Redis Cluster seed ${JSON.stringify(redactSeed(text))} ${why}: write host:port (e.g. 10.0.0.5:6379), or redis://user:password@host:port (rediss:// for TLS)`);
  let url: URL;
  try {
    url = new URL(/^rediss?:\/\//.test(text) ? text : `redis://${text}`);
  } catch {
    throw wrong("is not a host and port");
  }
  if (url.hostname === "") throw wrong("has no host");
  if (url.port === "") throw wrong("has no port");
  if (url.pathname !== "" && url.pathname !== "/") throw wrong("has a database path, which a Redis Cluster does not have");
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  return {
    text,
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: Number(url.port),
    ...(username === "" ? {} : { username }),
    ...(password === "" ? {} : { password }),
    tls: url.protocol === "rediss:",
  };
}
