/** Shed ingest is told at most once a second, each line counting the requests refused since the last. */
import { describe, expect, it } from "vitest";
import { ShedLog } from "../../../src/api/ingest-shedding.js";
import { captureLog } from "../../support/log-lines.js";

describe("ShedLog", () => {
  it("logs the first refusal at once, then one line a second with how many were refused", () => {
    const log = captureLog();
    let now = 0;
    const shedLog = new ShedLog(() => now);
    const shed = () => shedLog.shed(log.logger, { stream: "clicks", tenant: "default", cause: "overloaded" });
    shed();
    for (now = 100; now < 1000; now += 100) shed();
    expect(log.named("ingest shed (503)").map((l) => l.shedRequests)).toEqual([1]);
    now = 1000;
    shed();
    now = 5000;
    shed();
    expect(log.named("ingest shed (503)").map((l) => l.shedRequests)).toEqual([1, 10, 1]);
  });
});
