import { KnowledgeKeys, LeaseRecord } from "@patinox/contracts";
import { type Knowledge, Unchanged } from "@patinox/knowledge";

/** Options of {@link ShardLease}. */
export interface ShardLeaseOptions {
  readonly knowledge: Knowledge;
  readonly service: string;
  readonly shard: string;
  /** This instance's id. */
  readonly holder: string;
  readonly ttlMs: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * A lease on one shard, held by at most one instance at a time as long as the instances'
 * clocks agree within a fraction of the TTL. The holder renews it; locally it counts as held
 * only until the TTL measured from *before* the renewing request, minus a safety margin, so
 * this instance stops working before any other may start.
 */
export class ShardLease {
  readonly key: string;
  readonly #options: ShardLeaseOptions;
  readonly #now: () => number;
  /** Monotonic time until which this instance may act as the holder. */
  #validUntil = 0;
  #epoch = 0;

  constructor(options: ShardLeaseOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.key = KnowledgeKeys.lease(options.service, options.shard);
  }

  /** The epoch of the lease while held (0 before it was first taken). */
  get epoch(): number {
    return this.#epoch;
  }

  /** Whether this instance may act as the holder for at least `marginMs` more. */
  held(marginMs = 0): boolean {
    return performance.now() + marginMs < this.#validUntil;
  }

  /**
   * Takes the lease if it is free or expired, or renews it if this instance holds it.
   * Returns whether this instance holds it now. Never throws for a lost race.
   */
  async acquire(): Promise<boolean> {
    const { knowledge, service, shard, holder, ttlMs } = this.#options;
    const started = performance.now();
    const now = this.#now();
    const entry = await knowledge
      .update(this.key, LeaseRecord, (current): LeaseRecord | typeof Unchanged => {
        if (current && current.holder !== holder && current.expiresAt > now) return Unchanged;
        const epoch =
          current === undefined ? 1 : current.holder === holder ? current.epoch : current.epoch + 1;
        return { v: 1, service, shard, holder, epoch, expiresAt: now + ttlMs, renewedAt: now };
      })
      .catch((error: unknown) => {
        if (error instanceof Error && "code" in error && error.code === "conflict")
          return undefined;
        throw error;
      });
    const mine = entry?.value.holder === holder && entry.value.expiresAt >= now + ttlMs - 1;
    if (mine) {
      this.#epoch = entry.value.epoch;
      // A fifth of the TTL is kept in hand for clock drift and the time a batch write takes.
      this.#validUntil = started + ttlMs * 0.8;
    } else {
      this.#validUntil = 0;
    }
    return mine;
  }

  /** Gives the lease up (if held) so a standby takes over at once instead of after the TTL. */
  async release(): Promise<void> {
    const { knowledge, holder } = this.#options;
    this.#validUntil = 0;
    await knowledge.update(this.key, LeaseRecord, (current): LeaseRecord | typeof Unchanged =>
      current?.holder === holder ? { ...current, expiresAt: 0 } : Unchanged,
    );
  }
}
