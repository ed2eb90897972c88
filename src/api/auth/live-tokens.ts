/**
 * Short-lived tokens for live subscriptions from a browser, which cannot set an Authorization header
 * on a WebSocket: `POST /v1/live-tokens` (with a key) gives a token valid for a minute that
 * `GET /v1/jobs/:id/results/live?token=...` accepts, so no long-lived key is ever put in a URL.
 * A token is the principal and its expiry, signed with a secret made at start-up (HMAC-SHA256); a
 * restart therefore ends every token, which costs a client one more request.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { ROLES, type Principal, type Role } from "./api-keys.js";

export const LIVE_TOKEN_SECONDS = 60;

export class LiveTokens {
  private readonly secret = randomBytes(32);

  constructor(private readonly now: () => number = Date.now) {}

  issue(principal: Principal): { token: string; expiresAt: number } {
    const expiresAt = this.now() + LIVE_TOKEN_SECONDS * 1000;
    const payload = Buffer.from(JSON.stringify({ t: principal.tenant, r: principal.role, e: expiresAt })).toString("base64url");
    return { token: `${payload}.${this.sign(payload)}`, expiresAt };
  }

  /** The token's principal, or undefined when it is malformed, forged or expired. */
  verify(token: string): Principal | undefined {
    const [payload, signature, ...rest] = token.split(".");
    if (!payload || !signature || rest.length > 0) return undefined;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const { t, r, e } = JSON.parse(Buffer.from(payload, "base64url").toString()) as { t: unknown; r: unknown; e: unknown };
      if (typeof t !== "string" || !(ROLES as readonly unknown[]).includes(r) || typeof e !== "number" || e <= this.now()) return undefined;
      return { tenant: t, role: r as Role };
    } catch {
      return undefined;
    }
  }

  private sign(payload: string): string {
    return createHmac("sha256", this.secret).update(payload).digest("base64url");
  }
}
