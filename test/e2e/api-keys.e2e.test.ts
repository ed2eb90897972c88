/**
 * API keys on the real server: read from API_KEYS and API_KEYS_FILE (keys or their digests), reloaded
 * without a restart when the file changes or on SIGHUP, a bad file keeping the keys in force; no key
 * ever reaches the log; without keys the server says at start-up that it is open.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestLine } from "../../src/api/auth/api-keys.js";
import { ServerProcess } from "../support/server-process.js";

const FROM_ENV = "env-reader-key-0123456789";
const FIRST = "file-admin-key-0123456789";
const SECOND = "file-admin-key-9876543210";
const THIRD = "file-writer-key-5555555555";

let dir: string;
let keysFile: string;
let server: ServerProcess;

const status = async (key: string, route = "/v1/jobs") => (await server.request("GET", route, undefined, { authorization: `Bearer ${key}` })).status;

/** Waits (on the server's answers, up to a minute) until `key` gets `expected`. */
async function until(key: string, expected: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await status(key)) !== expected) {
    if (Date.now() > deadline) throw new Error(`key never got ${expected}; log: ${server.logs()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "tributary-keys-"));
  keysFile = path.join(dir, "keys");
  await writeFile(keysFile, `# tenant role key\nacme admin ${FIRST}\n`);
  server = await ServerProcess.start({ API_KEYS: `acme:reader:${FROM_ENV}`, API_KEYS_FILE: keysFile, LOG_LEVEL: "info" });
});

afterAll(async () => {
  await server?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe("API keys on the real server", () => {
  it("takes keys from the environment and the file, and refuses others", async () => {
    expect(await status(FROM_ENV)).toBe(200);
    expect(await status(FIRST)).toBe(200);
    expect(await status(SECOND)).toBe(401);
    expect((await server.request("GET", "/v1/jobs")).status).toBe(401);
    expect((await server.request("GET", "/healthz")).status).toBe(200);
    expect(server.logs()).not.toContain("no API keys are configured");
  });

  it("reloads the file when it changes, holding a digest instead of the key", async () => {
    await writeFile(keysFile, `${digestLine("acme", "admin", SECOND)}\n`);
    await until(SECOND, 200);
    expect(await status(FIRST)).toBe(401);
    expect(await status(FROM_ENV)).toBe(200);
  });

  it("keeps the keys in force when the file goes bad, and says why in the log", async () => {
    await writeFile(keysFile, `acme superuser ${THIRD}\n`);
    server.signal("SIGHUP");
    const deadline = Date.now() + 60_000;
    while (!server.logs().includes("API keys not reloaded")) {
      if (Date.now() > deadline) throw new Error(`no reload failure logged: ${server.logs()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await status(SECOND)).toBe(200);
    expect(await status(THIRD)).toBe(401);
  });

  it("reloads on SIGHUP", async () => {
    await writeFile(keysFile, `acme writer ${THIRD}\n`);
    server.signal("SIGHUP");
    await until(THIRD, 200);
    expect(await status(SECOND)).toBe(401);
    // A writer may ingest but not register jobs.
    expect((await server.request("POST", "/v1/streams/clicks/events", { user: "ann" }, { authorization: `Bearer ${THIRD}` })).status).toBe(202);
    expect((await server.request("POST", "/v1/jobs", { name: "j", input: "clicks", steps: [{ op: "filter", where: "true" }] }, { authorization: `Bearer ${THIRD}` })).status).toBe(403);
  });

  it("never writes a key to the log", async () => {
    await server.request("GET", `/v1/jobs?key=${FIRST}`, undefined, { authorization: `Bearer ${FIRST}` });
    const log = server.logs();
    for (const key of [FROM_ENV, FIRST, SECOND, THIRD]) expect(log).not.toContain(key);
  });
});

describe("without keys", () => {
  it("runs open and warns at start-up", async () => {
    const open = await ServerProcess.start({ LOG_LEVEL: "warn" });
    try {
      expect((await open.request("GET", "/v1/jobs")).status).toBe(200);
      expect(open.logs()).toContain("no API keys are configured");
    } finally {
      await open.dispose();
    }
  });
});
