/**
 * Any node answers for any job: what only the node running a job knows (its progress, its state, its
 * model) or can do (change its definition: PUT /v1/jobs/:id) is asked of that node, with the client's own credentials, and its answer is passed back as
 * it came. A forwarded request is marked, so it is answered where it lands and never forwarded again;
 * when the job's node cannot be reached, this node answers with what it knows.
 */
import type { FastifyReply, FastifyRequest } from "fastify";

/** Marks a request forwarded by another node (its value: that node's id). */
export const FORWARDED_HEADER = "x-tributary-forwarded-by";

/** How long the job's node may take to answer a forwarded request. */
const FORWARD_TIMEOUT_MS = 10_000;

/** Headers of the client's request passed on to the job's node. */
const PASSED_ON = ["authorization", "accept", "x-request-id", "idempotency-key"];

/**
 * Answers the request from the job's node when another node runs job `id`; false when it is for this
 * node to answer (the job runs here or nowhere, or its node could not be reached).
 */
export async function answeredByOwner(request: FastifyRequest, reply: FastifyReply, id: string): Promise<boolean> {
  if (request.headers[FORWARDED_HEADER] !== undefined) return false;
  const owner = await request.tenant.engine.jobOwner(id);
  if (owner === undefined) return false;
  const headers: Record<string, string> = { [FORWARDED_HEADER]: owner.node };
  for (const name of PASSED_ON) {
    const value = request.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  // A change (PUT) carries its parsed JSON body on, as JSON.
  const body = request.method === "GET" || request.body === undefined ? undefined : JSON.stringify(request.body);
  if (body !== undefined) headers["content-type"] = "application/json";
  let answer: Response;
  try {
    answer = await fetch(new URL(request.url, owner.address), { method: request.method, headers, body, signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS) });
  } catch (error) {
    request.log.warn({ job: id, node: owner.node, cause: (error as Error).message }, "the job's node did not answer; answering here");
    return false;
  }
  const text = await answer.text();
  reply.status(answer.status).header("content-type", answer.headers.get("content-type") ?? "application/json; charset=utf-8");
  const retryAfter = answer.headers.get("retry-after");
  if (retryAfter !== null) reply.header("retry-after", retryAfter);
  await reply.send(text);
  return true;
}
