/** SystemClock keeps its promise: a timer fires once now() has reached its time, never before. */
import { describe, expect, it } from "vitest";
import { SystemClock } from "../../../src/engine/clock.js";

describe("SystemClock", () => {
  it("does not fire before now() reaches the time, even when the timers run ahead of the wall clock", async () => {
    // A wall clock at half speed: every setTimeout fires before this clock reaches what was asked.
    const start = Date.now();
    const clock = new SystemClock(() => start + Math.floor((Date.now() - start) / 2));
    const at = clock.now() + 20;
    const firedAt = await new Promise<number>((resolve) => clock.setTimer(at, () => resolve(clock.now())));
    expect(firedAt).toBeGreaterThanOrEqual(at);
  });

  it("fires a timer whose time has passed, and a cancelled timer never", async () => {
    const clock = new SystemClock();
    const fired: string[] = [];
    clock.setTimer(clock.now() - 5, () => fired.push("past"));
    const cancel = clock.setTimer(clock.now() + 10, () => fired.push("cancelled"));
    cancel();
    await new Promise<void>((resolve) => clock.setTimer(clock.now() + 40, resolve));
    expect(fired).toEqual(["past"]);
  });
});
