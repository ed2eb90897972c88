/**
 * The latency-against-load chart of docs/benchmarks.md, drawn as plain SVG text: one colour per batch
 * interval, p99 as a solid line, p50 dashed, the target (interval + 100 ms) as a dotted line. The
 * latency axis is logarithmic so that 100 ms batches and an overloaded step fit on one chart.
 */

export interface ChartSeries {
  readonly label: string;
  readonly targetMs: number;
  readonly points: readonly { readonly load: number; readonly p50: number; readonly p99: number }[];
}

const WIDTH = 760;
const HEIGHT = 440;
const MARGIN = { left: 70, right: 170, top: 40, bottom: 55 };
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];
const LATENCY_TICKS = [10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000];

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fixed = (n: number) => (Math.round(n * 10) / 10).toString();

function niceStep(max: number): number {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
}

function formatRate(n: number): string {
  return n >= 1_000_000 ? `${fixed(n / 1_000_000)}M` : n >= 1_000 ? `${fixed(n / 1_000)}K` : String(Math.round(n));
}

export function latencyChart(title: string, series: readonly ChartSeries[]): string {
  const all = series.flatMap((s) => s.points);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const xMax = Math.max(1_000, ...all.map((p) => p.load)) * 1.08;
  const yValues = [...all.flatMap((p) => [p.p50, p.p99]), ...series.map((s) => s.targetMs)].filter((v) => v > 0);
  const yMin = LATENCY_TICKS.filter((t) => t <= Math.min(...yValues, 100)).at(-1) ?? 10;
  const yMax = LATENCY_TICKS.find((t) => t >= Math.max(...yValues, 200)) ?? Math.max(...yValues);
  const x = (load: number) => MARGIN.left + (load / xMax) * plotW;
  const y = (ms: number) => MARGIN.top + plotH - ((Math.log10(Math.max(ms, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * plotH;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  out.push(`<text x="${WIDTH / 2 - MARGIN.right / 2}" y="22" text-anchor="middle" font-size="15">${escape(title)}</text>`);
  const step = niceStep(xMax);
  for (let v = 0; v <= xMax; v += step) {
    out.push(`<line x1="${fixed(x(v))}" y1="${MARGIN.top}" x2="${fixed(x(v))}" y2="${MARGIN.top + plotH}" stroke="#eee"/>`);
    out.push(`<text x="${fixed(x(v))}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${formatRate(v)}</text>`);
  }
  for (const t of LATENCY_TICKS.filter((t) => t >= yMin && t <= yMax)) {
    out.push(`<line x1="${MARGIN.left}" y1="${fixed(y(t))}" x2="${MARGIN.left + plotW}" y2="${fixed(y(t))}" stroke="#eee"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${fixed(y(t) + 4)}" text-anchor="end">${t >= 1000 ? `${t / 1000} s` : `${t} ms`}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">load acknowledged (records/s, NDJSON over HTTP)</text>`);
  out.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">ack -&gt; WebSocket result latency (log scale)</text>`);

  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const points = [...s.points].sort((a, b) => a.load - b.load);
    const path = (pick: (p: (typeof points)[number]) => number) => points.map((p, j) => `${j === 0 ? "M" : "L"}${fixed(x(p.load))},${fixed(y(pick(p)))}`).join(" ");
    out.push(`<line x1="${MARGIN.left}" y1="${fixed(y(s.targetMs))}" x2="${MARGIN.left + plotW}" y2="${fixed(y(s.targetMs))}" stroke="${colour}" stroke-dasharray="2 4" stroke-width="1"/>`);
    if (points.length > 0) {
      out.push(`<path d="${path((p) => p.p99)}" fill="none" stroke="${colour}" stroke-width="2"/>`);
      out.push(`<path d="${path((p) => p.p50)}" fill="none" stroke="${colour}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
      for (const p of points) {
        out.push(`<circle cx="${fixed(x(p.load))}" cy="${fixed(y(p.p99))}" r="3.5" fill="${colour}"/>`);
        out.push(`<rect x="${fixed(x(p.load) - 2.5)}" y="${fixed(y(p.p50) - 2.5)}" width="5" height="5" fill="white" stroke="${colour}"/>`);
      }
    }
    const ly = MARGIN.top + 10 + i * 42;
    const lx = MARGIN.left + plotW + 14;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${colour}" stroke-width="2"/><text x="${lx + 28}" y="${ly + 4}">${escape(s.label)} p99</text>`);
    out.push(`<line x1="${lx}" y1="${ly + 15}" x2="${lx + 22}" y2="${ly + 15}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="6 4"/><text x="${lx + 28}" y="${ly + 19}">p50</text>`);
    out.push(`<line x1="${lx + 60}" y1="${ly + 15}" x2="${lx + 82}" y2="${ly + 15}" stroke="${colour}" stroke-dasharray="2 4"/><text x="${lx + 88}" y="${ly + 19}">target</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
