/**
 * Quotas per tenant, in force when the server has API keys (an open server has one user, who owns
 * it): how many streams, jobs and live subscriptions a tenant may hold, and how many events and bytes
 * a second it may ingest. A request past a quota is refused with 429 QUOTA_EXCEEDED, changes nothing,
 * and says which quota, its limit and how to get under it; a rate refusal carries `Retry-After` and
 * every ingest answer the `RateLimit-*` headers of its tighter bucket. (Requests a second are limited
 * by @fastify/rate-limit, keyed by tenant, see app.ts.)
 */
import type { FastifyReply } from "fastify";
import { ApiError } from "../errors.js";
import type { Tenant } from "./tenants.js";

export interface QuotaLimits {
  readonly streams: number;
  readonly jobs: number;
  readonly subscriptions: number;
  readonly eventsPerSecond: number;
  readonly bytesPerSecond: number;
  readonly requestsPerSecond: number;
}

export const DEFAULT_QUOTAS: QuotaLimits = {
  streams: 100,
  jobs: 50,
  subscriptions: 1000,
  eventsPerSecond: 100_000,
  bytesPerSecond: 64 * 1024 * 1024,
  requestsPerSecond: 1000,
};

/** A token bucket holding one second of its rate; a request may overdraw it when it is not empty. */
class RateBucket {
  private tokens: number;
  private at: number;

  constructor(
    readonly rate: number,
    private readonly now: () => number,
  ) {
    this.tokens = rate;
    this.at = now();
  }

  /** Takes `n` and returns 0, or returns the seconds to wait (taking nothing). */
  take(n: number): number {
    this.refill();
    if (this.tokens <= 0) return Math.max(1, Math.ceil(-this.tokens / this.rate + 0.001));
    this.tokens -= n;
    return 0;
  }

  remaining(): number {
    this.refill();
    return Math.max(0, Math.floor(this.tokens));
  }

  /** Seconds until the bucket is full again. */
  reset(): number {
    this.refill();
    return Math.ceil((this.rate - this.tokens) / this.rate);
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
  }
}

interface Usage {
  readonly events: RateBucket;
  readonly bytes: RateBucket;
  subscriptions: number;
}

export class TenantQuotas {
  private readonly usage = new Map<string, Usage>();

  constructor(
    readonly limits: QuotaLimits,
    /** Whether quotas apply now (keys are configured; they are reloaded without a restart). */
    readonly enabled: () => boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** Refuses a new stream past the tenant's stream quota. */
  async checkNewStream(tenant: Tenant): Promise<void> {
    if (!this.enabled()) return;
    const held = (await tenant.engine.listStreams()).length;
    if (held >= this.limits.streams) throw exceeded("streams", this.limits.streams, `tenant ${tenant.names.tenant} holds ${held} streams, its quota; delete one first`);
  }

  /** Refuses an ingest that would create a stream past the quota (an existing stream passes). */
  async checkIngestTarget(tenant: Tenant, stream: string): Promise<void> {
    if (!this.enabled()) return;
    const exists = await tenant.engine.getStream(stream).then(() => true, () => false);
    if (!exists) await this.checkNewStream(tenant);
  }

  async checkNewJob(tenant: Tenant): Promise<void> {
    if (!this.enabled()) return;
    const held = (await tenant.engine.listJobs()).length;
    if (held >= this.limits.jobs) throw exceeded("jobs", this.limits.jobs, `tenant ${tenant.names.tenant} holds ${held} jobs, its quota; delete one first`);
  }

  /** Takes an ingest's events and bytes from the tenant's buckets, or refuses it (taking nothing). */
  takeIngest(tenant: Tenant, events: number, bytes: number, reply: FastifyReply): void {
    if (!this.enabled()) return;
    const usage = this.of(tenant);
    const byEvents = usage.events.take(events);
    const byBytes = byEvents > 0 ? 0 : usage.bytes.take(bytes);
    const tighter = usage.events.remaining() / usage.events.rate <= usage.bytes.remaining() / usage.bytes.rate ? usage.events : usage.bytes;
    reply.header("ratelimit-limit", String(tighter.rate));
    reply.header("ratelimit-remaining", String(tighter.remaining()));
    reply.header("ratelimit-reset", String(tighter.reset()));
    const wait = Math.max(byEvents, byBytes);
    if (wait > 0) {
      const [quota, limit] = byEvents > 0 ? (["eventsPerSecond", this.limits.eventsPerSecond] as const) : (["bytesPerSecond", this.limits.bytesPerSecond] as const);
      throw exceeded(quota, limit, `tenant ${tenant.names.tenant} may ingest ${limit} ${quota === "eventsPerSecond" ? "events" : "bytes"} a second; none of these events was taken: retry after ${wait} s with the same Idempotency-Key`, wait);
    }
  }

  /** Refuses a live subscription past the quota (before the upgrade, so the refusal is a plain 429). */
  checkSubscription(tenant: Tenant): void {
    if (!this.enabled()) return;
    const open = this.of(tenant).subscriptions;
    if (open >= this.limits.subscriptions) {
      throw exceeded("subscriptions", this.limits.subscriptions, `tenant ${tenant.names.tenant} has ${open} live subscriptions open, its quota; close one first`);
    }
  }

  /** Counts a live subscription against the quota; returns how to release it. */
  openSubscription(tenant: Tenant): () => void {
    if (!this.enabled()) return () => undefined;
    this.checkSubscription(tenant);
    const usage = this.of(tenant);
    usage.subscriptions++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      usage.subscriptions--;
    };
  }

  private of(tenant: Tenant): Usage {
    let usage = this.usage.get(tenant.names.tenant);
    if (!usage) {
      usage = { events: new RateBucket(this.limits.eventsPerSecond, this.now), bytes: new RateBucket(this.limits.bytesPerSecond, this.now), subscriptions: 0 };
      this.usage.set(tenant.names.tenant, usage);
    }
    return usage;
  }
}

export function exceeded(quota: keyof QuotaLimits, limit: number, message: string, retryAfterSeconds?: number): ApiError {
  return new ApiError("QUOTA_EXCEEDED", `${quota} quota exceeded: ${message}`, { quota, limit, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) });
}
