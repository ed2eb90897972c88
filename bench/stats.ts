/** Small statistics over samples, and rounding for the report. */

/** The p-th percentile (0-100) of `values` by nearest rank; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Rounds to `digits` significant digits. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const exponent = Math.ceil(Math.log10(Math.abs(value))) - digits;
  if (exponent >= 0) {
    const unit = 10 ** exponent;
    return Math.round(value / unit) * unit;
  }
  const scale = 10 ** -exponent;
  return Math.round(value * scale) / scale;
}

/** a ÷ b rounded, or null when either is missing. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0 || !Number.isFinite(a) || !Number.isFinite(b)) return null;
  return round(a / b, 3);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
