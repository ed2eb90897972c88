/**
 * Frames in seq order, appended at the end and forgotten from the front: the dead prefix is cut off in
 * bulk, so forgetting stays O(1) per frame, and a forgotten slot is released at once so its rows can be
 * freed.
 */
import type { ResultFrame } from "../types.js";

export class FrameQueue {
  private frames: ResultFrame[] = [];
  private start = 0;

  get size(): number {
    return this.frames.length - this.start;
  }

  /** The oldest frame (undefined when empty). */
  oldest(): ResultFrame | undefined {
    return this.frames[this.start];
  }

  /** The newest frame (undefined when empty). */
  newest(): ResultFrame | undefined {
    return this.size > 0 ? this.frames[this.frames.length - 1] : undefined;
  }

  push(frame: ResultFrame): void {
    this.frames.push(frame);
  }

  /** Forgets the oldest frame and returns it. */
  shift(): ResultFrame | undefined {
    if (this.size === 0) return undefined;
    const oldest = this.frames[this.start]!;
    this.frames[this.start] = RELEASED;
    this.start += 1;
    if (this.start >= 64 && this.start * 2 >= this.frames.length) {
      this.frames = this.frames.slice(this.start);
      this.start = 0;
    }
    return oldest;
  }

  /** Where the first frame with seq >= `seq` is, as an index for {@link at} (size when none). */
  indexOf(seq: number): number {
    let low = this.start;
    let high = this.frames.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.frames[middle]!.seq < seq) low = middle + 1;
      else high = middle;
    }
    return low - this.start;
  }

  at(index: number): ResultFrame | undefined {
    return index >= 0 && index < this.size ? this.frames[this.start + index] : undefined;
  }
}

/** What a forgotten frame's slot holds until the dead prefix is cut off. */
const RELEASED: ResultFrame = { seq: 0, batchTime: 0, window: null, rows: [] };
