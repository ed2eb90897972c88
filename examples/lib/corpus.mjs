// Seeded text generators for the examples and tests: the same seed always gives the same events.

/** A small, fast, seeded PRNG (mulberry32). */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const VOCABULARY = (
  "stream batch window slide river tributary delta flow current source spring rain cloud storm " +
  "event record key value state checkpoint worker partition replay recover latency throughput " +
  "count top word grep spark node redis socket result frame query filter map reduce join merge"
).split(" ");

/** A word drawn with a Zipf-like skew, so some words are clearly "trending". */
export function zipfWord(next, vocabulary = VOCABULARY) {
  const r = next();
  return vocabulary[Math.min(vocabulary.length - 1, Math.floor(vocabulary.length * r * r * r))];
}

/** `count` tweet-like events {text, user}, each a line of 3-12 words. */
export function tweets(count, seed = 1) {
  const next = random(seed);
  const events = [];
  for (let i = 0; i < count; i++) {
    const words = [];
    const n = 3 + Math.floor(next() * 10);
    for (let w = 0; w < n; w++) words.push(zipfWord(next));
    events.push({ text: words.join(" "), user: `u${Math.floor(next() * 100)}` });
  }
  return events;
}

/** `count` log-line events {line}; about `errorRate` of them contain "ERROR". */
export function logLines(count, seed = 1, errorRate = 0.1) {
  const next = random(seed);
  const levels = ["INFO", "DEBUG", "WARN"];
  const events = [];
  for (let i = 0; i < count; i++) {
    const level = next() < errorRate ? "ERROR" : levels[Math.floor(next() * levels.length)];
    events.push({ line: `2026-11-24T12:00:00Z ${level} ${zipfWord(next)} ${zipfWord(next)} request ${i}` });
  }
  return events;
}

/** Reads --count and --seed from argv and prints the events as NDJSON: the examples' CLI. */
export function printNdjson(make, argv = process.argv.slice(2)) {
  const arg = (name, fallback) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : fallback;
  };
  const events = make(arg("count", 1000), arg("seed", Date.now() % 100000));
  // Piped into a reader that stops early (`| head`): end quietly instead of dying with EPIPE.
  process.stdout.on("error", (error) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  process.stdout.write(events.map((e) => JSON.stringify(e)).join("\n") + "\n");
}
