/** REDIS_CLUSTER_NODES: seeds parsed and checked at start-up, and never together with REDIS_URL. */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { parseClusterSeeds, redactSeed } from "../../src/store/redis/cluster-seeds.js";

describe("REDIS_CLUSTER_NODES", () => {
  it("reads comma-separated host:port seeds", () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: "10.0.0.5:7000, 10.0.0.6:7001,redis-3:7002" }).REDIS_CLUSTER_NODES).toEqual(["10.0.0.5:7000", "10.0.0.6:7001", "redis-3:7002"]);
    expect(loadConfig({}).REDIS_CLUSTER_NODES).toBeUndefined();
  });

  it("stops start-up, naming both variables, when REDIS_URL is set too", () => {
    expect(() => loadConfig({ REDIS_URL: "redis://127.0.0.1:6379", REDIS_CLUSTER_NODES: "127.0.0.1:7000" })).toThrow(/REDIS_URL and REDIS_CLUSTER_NODES are both set: set REDIS_URL .* or REDIS_CLUSTER_NODES .*, not both/);
  });

  it("names a seed without a port, and what a seed looks like", () => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: "10.0.0.5:7000,10.0.0.6" })).toThrow(/REDIS_CLUSTER_NODES: Redis Cluster seed "10\.0\.0\.6" has no port: write host:port/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: " , " })).toThrow(/REDIS_CLUSTER_NODES: a Redis Cluster needs at least one seed node/);
  });
});

describe("cluster seeds", () => {
  it("take credentials and TLS from URL seeds", () => {
    expect(parseClusterSeeds(["rediss://app:s%40cret@r1.example:7000", "rediss://app:s%40cret@r2.example:7001"])).toEqual({
      nodes: [
        { host: "r1.example", port: 7000 },
        { host: "r2.example", port: 7001 },
      ],
      username: "app",
      password: "s@cret",
      tls: true,
    });
    expect(parseClusterSeeds(["[::1]:7000"])).toEqual({ nodes: [{ host: "::1", port: 7000 }], tls: false });
  });

  it("refuse seeds that disagree on credentials, without showing the password", () => {
    const differ = () => parseClusterSeeds(["redis://:hunter2@r1:7000", "r2:7001"]);
    expect(differ).toThrow(/seeds redis:\/\/:\*\*\*@r1:7000 and r2:7001 differ in scheme, user or password/);
    expect(differ).not.toThrow(/hunter2/);
    expect(redactSeed("redis://user:pw@host:1")).toBe("redis://user:***@host:1");
  });
});
