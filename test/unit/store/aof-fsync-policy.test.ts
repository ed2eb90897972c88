/** When the Redis store waits for the append-only file's fsync, and what it warns about, by setting. */
import { describe, expect, it } from "vitest";
import { fsyncPolicy, hasWaitAof, leastSafe, type AofSettings, type WaitFsync } from "../../../src/store/redis/aof-fsync.js";

const on = (version: string, appendfsync: string): AofSettings => ({ version, appendonly: "yes", appendfsync });

describe("fsync policy of the Redis store", () => {
  it("knows which Redis versions have WAITAOF", () => {
    expect([hasWaitAof("7.0.15"), hasWaitAof("7.1.0"), hasWaitAof("7.2.0"), hasWaitAof("7.4.1"), hasWaitAof("8.0.0"), hasWaitAof("6.2.14"), hasWaitAof(undefined)]).toEqual([false, false, true, true, true, false, false]);
  });

  const table: [WaitFsync, AofSettings, boolean, RegExp | undefined][] = [
    // appendfsync always: each write is fsynced before Redis answers it; nothing to wait for, nothing to say.
    ["auto", on("7.0.15", "always"), false, undefined],
    ["auto", on("7.2.4", "always"), false, undefined],
    ["never", on("7.2.4", "always"), false, undefined],
    // everysec: wait where Redis can confirm the fsync, warn where it cannot or must not.
    ["auto", on("7.2.4", "everysec"), true, undefined],
    ["auto", on("7.0.15", "everysec"), false, /appendfsync "everysec" .*Redis 7\.0\.15 has no WAITAOF.*up to about a second of events already acknowledged/],
    ["never", on("7.2.4", "everysec"), false, /appendfsync "everysec" .*REDIS_WAIT_FSYNC=never/],
    ["auto", on("7.0.15", "no"), false, /appendfsync "no"/],
    // always: wait, and say when every ingest will be refused.
    ["always", on("7.2.4", "everysec"), true, undefined],
    ["always", on("7.0.15", "always"), true, /REDIS_WAIT_FSYNC=always needs WAITAOF.*Redis 7\.0\.15.*answered 503/],
    ["always", { version: "7.2.4", appendonly: "no", appendfsync: "everysec" }, true, /needs appendonly "yes".*answered 503/],
    // appendonly off is the appendonly warning's business.
    ["auto", { version: "7.2.4", appendonly: "no", appendfsync: "everysec" }, false, undefined],
    // CONFIG denied: cannot tell, so say so.
    ["auto", { version: "7.2.4", configDenied: "CONFIG GET is not allowed: NOPERM" }, false, /cannot check the Redis setting appendfsync \(CONFIG GET is not allowed: NOPERM\)/],
  ];

  it.each(table)("REDIS_WAIT_FSYNC=%s with %o: waits %s", (mode, settings, waits, warning) => {
    const policy = fsyncPolicy(mode, settings);
    expect(policy.waits).toBe(waits);
    if (warning === undefined) expect(policy.warning).toBeUndefined();
    else expect(policy.warning).toMatch(warning);
  });
});

describe("settings of a Redis Cluster's masters", () => {
  const masters = ["10.0.0.1:7000", "10.0.0.2:7001", "10.0.0.3:7002"];

  it("stand for the cluster by the least safe answer of each", () => {
    expect(leastSafe([on("7.2.4", "always"), on("7.0.15", "everysec"), on("7.4.0", "always")], masters)).toEqual(on("7.0.15", "everysec"));
    expect(leastSafe([on("7.2.4", "always"), { version: "7.2.4", appendonly: "no", appendfsync: "always" }, on("7.2.4", "always")], masters)).toEqual({ version: "7.2.4", appendonly: "no", appendfsync: "always" });
    expect(leastSafe([on("7.2.4", "always"), on("7.2.4", "always"), on("7.2.4", "always")], masters)).toEqual(on("7.2.4", "always"));
  });

  it("say what one master would not tell, and where", () => {
    const denied = leastSafe([on("7.2.4", "always"), { version: "7.2.4", configDenied: "CONFIG GET is not allowed: NOPERM" }, on("7.2.4", "always")], masters);
    expect(denied).toEqual({ version: "7.2.4", configDenied: "10.0.0.2:7001: CONFIG GET is not allowed: NOPERM" });
    expect(fsyncPolicy("auto", denied).warning).toMatch(/cannot check the Redis setting appendfsync \(10\.0\.0\.2:7001: CONFIG GET is not allowed/);
  });
});
