/** The Dockerfile read as a recipe: per stage its ENV, COPY and RUN lines and its CMD, in order. */

export interface DockerCopy {
  /** The stage copied from (`--from=`), or undefined for the build context. */
  readonly from: string | undefined;
  readonly sources: readonly string[];
  readonly destination: string;
}

export type DockerStep = { readonly kind: "run"; readonly command: string } | ({ readonly kind: "copy" } & DockerCopy);

export interface DockerStage {
  readonly name: string | undefined;
  readonly image: string;
  readonly env: Record<string, string>;
  readonly steps: readonly DockerStep[];
  readonly copies: readonly DockerCopy[];
  /** The user the stage's CMD runs as (USER), if any. */
  readonly user: string | undefined;
  readonly cmd: readonly string[] | undefined;
}

/** Splits a Dockerfile into stages. Only the instructions Tributary's Dockerfile uses are read. */
export function dockerfileStages(text: string): DockerStage[] {
  const lines = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const stages: (DockerStage & { env: Record<string, string>; steps: DockerStep[]; copies: DockerCopy[]; user: string | undefined; cmd: readonly string[] | undefined })[] = [];
  for (const line of lines) {
    const [instruction, ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    const stage = stages.at(-1);
    switch (instruction!.toUpperCase()) {
      case "FROM": {
        const [image, as, name] = rest;
        stages.push({ image: image!, name: as?.toUpperCase() === "AS" ? name : undefined, env: {}, steps: [], copies: [], user: undefined, cmd: undefined });
        break;
      }
      case "ENV":
        for (const pair of rest) {
          const [key, ...value] = pair.split("=");
          stage!.env[key!] = value.join("=");
        }
        break;
      case "RUN":
        stage!.steps.push({ kind: "run", command: args });
        break;
      case "COPY": {
        const from = rest.find((r) => r.startsWith("--from="))?.slice("--from=".length);
        const paths = rest.filter((r) => !r.startsWith("--"));
        const copy = { from, sources: paths.slice(0, -1), destination: paths.at(-1)! };
        stage!.copies.push(copy);
        stage!.steps.push({ kind: "copy", ...copy });
        break;
      }
      case "USER":
        stage!.user = args;
        break;
      case "CMD":
        stage!.cmd = JSON.parse(args) as string[];
        break;
      default:
        break;
    }
  }
  return stages;
}
