/** Reading GET /metrics back in tests: the value of one series as Prometheus's text format gives it. */

/** The value of one series (`name{labels}` exactly as exposed), or undefined when it is not exposed. */
export function metricValue(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Every series of one metric (its name and labels, as exposed) with its value. */
export function metricSeries(text: string, name: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const at = line.lastIndexOf(" ");
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}
