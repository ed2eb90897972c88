#!/usr/bin/env node
// Prints a job's live result frames: node examples/watch.mjs JOB_ID [--from SEQ] [--url http://127.0.0.1:8080]
// (without --url: $TRIBUTARY_URL, else port $PORT, else 8080 on this machine, as the server's own PORT)
import WebSocket from "ws";

const [job, ...rest] = process.argv.slice(2);
if (!job) {
  console.error("usage: node examples/watch.mjs JOB_ID [--from SEQ] [--url http://127.0.0.1:8080]");
  process.exit(2);
}
const option = (name) => {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? rest[i + 1] : undefined;
};
const base = (option("url") ?? process.env.TRIBUTARY_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`).replace(/^http/, "ws");
const from = option("from");
const socket = new WebSocket(`${base}/v1/jobs/${encodeURIComponent(job)}/results/live${from ? `?from=${from}` : ""}`);
socket.on("message", (data) => console.log(data.toString()));
socket.on("unexpected-response", (_req, res) => {
  let body = "";
  res.on("data", (c) => (body += c));
  res.on("end", () => {
    console.error(`HTTP ${res.statusCode}: ${body}`);
    process.exit(1);
  });
});
socket.on("close", (code, reason) => {
  console.error(`closed (${code}) ${reason}`);
  process.exit(code === 1000 ? 0 : 1);
});
socket.on("error", (error) => {
  console.error(error.message);
  process.exit(1);
});
