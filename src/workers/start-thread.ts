/**
 * Starts a worker thread on an entry file next to the caller: the compiled `.js` entry, or — when the
 * caller itself runs from TypeScript sources, as under the test runner — the `.ts` entry through tsx's
 * loader, registered first.
 */
import { Worker } from "node:worker_threads";

/** `callerUrl`: the caller's import.meta.url; `entry`: the entry's file name without its extension. */
export function startThread(callerUrl: string, entry: string, workerData: unknown): Worker {
  if (!callerUrl.endsWith(".ts")) return new Worker(new URL(`./${entry}.js`, callerUrl), { workerData });
  const loader = import.meta.resolve("tsx/esm/api");
  const href = new URL(`./${entry}.ts`, callerUrl).href;
  const bootstrap = `import(${JSON.stringify(loader)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}
