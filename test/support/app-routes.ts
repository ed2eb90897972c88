/** The routes a Fastify app registers, read from its printed route tree. */

export interface Route {
  readonly method: string;
  /** Fastify syntax: /v1/jobs/:id */
  readonly url: string;
}

/**
 * Reads the routes out of `printRoutes({commonPrefix: false})`, a tree such as
 *   └── /v1/jobs (POST, GET, HEAD)
 *       └── /:id (GET, HEAD, DELETE)
 *           ├── /pause (POST)
 * where each level is indented by four characters and a node's path is its parents' plus its own.
 */
export function routesFromTree(tree: string): Route[] {
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of tree.split("\n")) {
    if (line.trim() === "") continue;
    const match = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line.trimEnd());
    if (!match) throw new Error(`cannot read this line of app.printRoutes(): ${JSON.stringify(line)}`);
    const depth = match[1]!.length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    const url = stack.join("");
    for (const method of (match[3] ?? "").split(",").map((m) => m.trim()).filter(Boolean)) routes.push({ method, url });
  }
  return routes;
}

/** The browsable reference (/docs): Swagger UI's page and assets, not part of the API it shows. */
export function isReferencePage(url: string): boolean {
  return url === "/docs" || url.startsWith("/docs/");
}
