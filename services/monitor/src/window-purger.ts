import type { KV } from "@nats-io/kv";
import type { Logger } from "@patinox/runtime";

/**
 * Purges metric windows whose end is older than the retention: `kv.purge` drops every
 * revision of the key (a delete would keep them as history). Run by the intake leader only.
 */
export class WindowPurger {
  readonly #kv: KV;
  readonly #retentionMs: number;
  readonly #windowMs: number;
  readonly #logger: Logger;
  readonly #now: () => number;

  constructor(options: {
    readonly kv: KV;
    readonly retentionMs: number;
    readonly windowMs: number;
    readonly logger: Logger;
    readonly now?: () => number;
  }) {
    this.#kv = options.kv;
    this.#retentionMs = options.retentionMs;
    this.#windowMs = options.windowMs;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
  }

  /** Purges every window that ended before now − retention; returns how many. */
  async purge(): Promise<number> {
    // One window length of slack: the intake still accepts events whose window ends within
    // the retention, and must never write a window this is about to purge.
    const cutoff = this.#now() - this.#retentionMs;
    const old: string[] = [];
    for await (const key of await this.#kv.keys("metrics.>")) {
      const start = Number(key.slice(key.lastIndexOf(".") + 1));
      if (Number.isSafeInteger(start) && start + 2 * this.#windowMs < cutoff) old.push(key);
    }
    for (const key of old) await this.#kv.purge(key);
    if (old.length > 0) this.#logger.info({ purged: old.length }, "old metric windows purged");
    return old.length;
  }
}
