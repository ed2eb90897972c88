/**
 * Time and Duration: the two value types of the batch model. Every other module speaks in these, so no
 * raw millisecond arithmetic leaks into operators or the scheduler.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const DURATION_TEXT = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** A length of time in whole milliseconds, parsed from text such as "500ms", "1s", "30s", "5m". */
export class Duration {
  private constructor(readonly ms: number) {}

  static ofMs(ms: number): Duration {
    if (!Number.isInteger(ms) || ms < 0) throw new RangeError(`duration must be a whole, non-negative number of ms, got ${ms}`);
    return new Duration(ms);
  }

  /** Parses "250ms", "1s", "1.5s", "2m", "1h"; returns undefined when the text is not a duration. */
  static parse(text: string): Duration | undefined {
    const match = DURATION_TEXT.exec(text.trim());
    if (!match) return undefined;
    const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
    return Number.isInteger(ms) ? new Duration(ms) : undefined;
  }

  /** True for a positive whole multiple: zero is not a usable window or slide. */
  isMultipleOf(other: Duration): boolean {
    return other.ms > 0 && this.ms > 0 && this.ms % other.ms === 0;
  }

  /** How many `other` fit in this duration (both must divide evenly; checked at job registration). */
  div(other: Duration): number {
    return Math.floor(this.ms / other.ms);
  }

  times(n: number): Duration {
    return Duration.ofMs(this.ms * n);
  }

  toString(): string {
    for (const unit of ["h", "m", "s"] as const) {
      if (this.ms >= UNIT_MS[unit] && this.ms % UNIT_MS[unit] === 0) return `${this.ms / UNIT_MS[unit]}${unit}`;
    }
    return `${this.ms}ms`;
  }
}

/** A point in time, in ms since the epoch; batch times are multiples of the batch interval. */
export class Time {
  constructor(readonly ms: number) {}

  plus(d: Duration): Time {
    return new Time(this.ms + d.ms);
  }

  minus(d: Duration): Time {
    return new Time(this.ms - d.ms);
  }

  /** The latest multiple of `d` at or before this time. */
  floor(d: Duration): Time {
    return new Time(Math.floor(this.ms / d.ms) * d.ms);
  }

  isMultipleOf(d: Duration): boolean {
    return this.ms % d.ms === 0;
  }

  isAfter(other: Time): boolean {
    return this.ms > other.ms;
  }

  toISOString(): string {
    return new Date(this.ms).toISOString();
  }
}

/** A half-open interval [start, end) of time, such as the span a window frame covers. */
export interface Interval {
  readonly start: number;
  readonly end: number;
}
