import { BudgetRecord, KnowledgeKeys, PatinoxError } from "@patinox/contracts";
import type { Knowledge } from "@patinox/knowledge";
import { systemClock, type WallClock } from "./clock.ts";

/** One hour, the budget's window. */
export const HOUR_MS = 3_600_000;

/** The start (epoch ms) of the hour `nowMs` falls in. */
export function hourStart(nowMs: number): number {
  return Math.floor(nowMs / HOUR_MS) * HOUR_MS;
}

/**
 * How many past hours of counters stay in the bucket (for `patinox kv` and post-mortems) when
 * an instance starts counting a new hour; older ones are purged with their history.
 */
export const BUDGET_HOURS_KEPT = 24;

/** Options of {@link SharedTokenBudget}. */
export interface SharedTokenBudgetOptions {
  readonly knowledge: Knowledge;
  /**
   * How old the shared total may be before a check reads it again. Charges made by this
   * instance update it at once; other replicas' are seen within this time. @default 1000
   */
  readonly refreshMs?: number;
  /** @default Date.now */
  readonly now?: WallClock;
  /**
   * Told when a charge could not be written (it is kept and written with the next one), or
   * when past hours could not be purged (tried again at the next hour).
   */
  readonly onError?: (error: unknown, key: string) => void;
}

/** What one instance knows of one agent's hour. */
interface HourAccount {
  readonly agent: string;
  readonly hourStartMs: number;
  /** The shared total as last read or written. */
  shared: number;
  /** When `shared` was read (epoch ms); −∞ before the first read. */
  readAtMs: number;
  /** Charged here, not yet written. */
  pending: number;
  /** Being written now. */
  writing: number;
  flushing: Promise<void> | undefined;
  reading: Promise<void> | undefined;
  /** Writes completed, to tell whether a read may already include a write counted in `writing`. */
  writes: number;
}

/**
 * Token budgets per agent per hour, shared by every replica through the knowledge bucket
 * (`budgets.<agent>.<hourStart>`, a counter every replica adds to with compare-and-set).
 *
 * {@link SharedTokenBudget.check} runs before a run: it refuses with `budget_exhausted` once the
 * hour's total (shared + charged here but not yet written) reaches the budget, reading the
 * shared total at most every `refreshMs`. {@link SharedTokenBudget.charge} adds a model call's
 * tokens after the call without waiting: charges are written in the background, several at
 * once when they arrive faster than the bucket answers. A budget is a soft limit: runs already
 * admitted finish, so the total can pass the budget by what they spend.
 */
export class SharedTokenBudget {
  readonly #knowledge: Knowledge;
  readonly #refreshMs: number;
  readonly #now: WallClock;
  readonly #onError: ((error: unknown, key: string) => void) | undefined;
  readonly #accounts = new Map<string, HourAccount>();
  readonly #purges = new Set<Promise<void>>();

  constructor(options: SharedTokenBudgetOptions) {
    this.#knowledge = options.knowledge;
    this.#refreshMs = options.refreshMs ?? 1_000;
    this.#now = options.now ?? systemClock;
    this.#onError = options.onError;
  }

  /**
   * Refuses when `agent` has spent `budget` tokens this hour.
   * @throws PatinoxError `budget_exhausted` with `retryAfterMs` until the next hour; the
   *   bucket's errors when the total cannot be read
   */
  async check(agent: string, budget: number): Promise<void> {
    const now = this.#now();
    const account = this.#account(agent, now);
    if (now - account.readAtMs >= this.#refreshMs) await this.#read(account);
    const spent = this.spent(agent);
    if (spent < budget) return;
    const retryAfterMs = account.hourStartMs + HOUR_MS - this.#now();
    throw new PatinoxError(
      "budget_exhausted",
      `agent ${agent} has spent its token budget for this hour (${spent} of ${budget} tokens)`,
      { retryAfterMs: Math.max(1, retryAfterMs), details: { agent, budget, spent } },
    );
  }

  /** Adds `tokens` to `agent`'s current hour; written in the background. */
  charge(agent: string, tokens: number): void {
    if (!(tokens > 0)) return;
    const account = this.#account(agent, this.#now());
    account.pending += Math.round(tokens);
    if (account.flushing === undefined) account.flushing = this.#flush(account);
  }

  /** Tokens `agent` is known to have spent this hour (shared total and local charges). */
  spent(agent: string): number {
    const account = this.#accounts.get(keyOf(agent, hourStart(this.#now())));
    return account === undefined ? 0 : account.shared + account.pending + account.writing;
  }

  /**
   * Waits until every charge made so far has been written (or failed), and past hours purged;
   * for shutdown and tests.
   */
  async flush(): Promise<void> {
    await Promise.all(this.#purges);
    const accounts = [...this.#accounts.values()];
    for (const account of accounts) {
      if (account.flushing === undefined && account.pending > 0) {
        account.flushing = this.#flush(account);
      }
    }
    await Promise.all(accounts.map((a) => a.flushing));
  }

  #account(agent: string, nowMs: number): HourAccount {
    const start = hourStart(nowMs);
    const key = keyOf(agent, start);
    let account = this.#accounts.get(key);
    if (account === undefined) {
      this.#forgetPastHours(start);
      const purging = this.#purgePastHours(agent, start).finally(() =>
        this.#purges.delete(purging),
      );
      this.#purges.add(purging);
      account = {
        agent,
        hourStartMs: start,
        shared: 0,
        readAtMs: Number.NEGATIVE_INFINITY,
        pending: 0,
        writing: 0,
        flushing: undefined,
        reading: undefined,
        writes: 0,
      };
      this.#accounts.set(key, account);
    }
    return account;
  }

  async #read(account: HourAccount): Promise<void> {
    // Concurrent checks share one read.
    account.reading ??= (async () => {
      try {
        const readAt = this.#now();
        const writes = account.writes;
        const quiet = account.flushing === undefined;
        const entry = await this.#knowledge.get(
          keyOf(account.agent, account.hourStartMs),
          BudgetRecord,
        );
        // A read that overlapped a write of ours may or may not include it (counted in
        // `writing` meanwhile): not used, so it is never counted twice. The write, when it
        // lands, brings the newer total anyway.
        if (quiet && account.flushing === undefined && account.writes === writes) {
          account.shared = Math.max(account.shared, entry?.value.tokens ?? 0);
          account.readAtMs = readAt;
        }
      } finally {
        account.reading = undefined;
      }
    })();
    await account.reading;
  }

  async #flush(account: HourAccount): Promise<void> {
    const key = keyOf(account.agent, account.hourStartMs);
    try {
      while (account.pending > 0) {
        const adding = account.pending;
        account.pending = 0;
        account.writing = adding;
        try {
          const entry = await this.#knowledge.update(
            key,
            BudgetRecord,
            (current): BudgetRecord => ({
              v: 1,
              agent: account.agent,
              hourStartMs: account.hourStartMs,
              tokens: (current?.tokens ?? 0) + adding,
              updatedAtMs: this.#now(),
            }),
          );
          account.writes++;
          if (entry !== undefined) {
            account.shared = entry.value.tokens;
            account.readAtMs = this.#now();
          }
        } catch (error) {
          // Kept, and written with the next charge or flush.
          account.pending += adding;
          this.#onError?.(error, key);
          return;
        } finally {
          account.writing = 0;
        }
      }
    } finally {
      account.flushing = undefined;
    }
  }

  /**
   * Purges `agent`'s counters of hours older than {@link BUDGET_HOURS_KEPT} before `start`, so
   * the bucket does not keep a counter (and its history) per agent per hour forever. Every
   * replica may do it at the start of an hour; a purge is idempotent, and a counter that old is
   * never written again (an instance writes only the hour it is in).
   */
  async #purgePastHours(agent: string, start: number): Promise<void> {
    const prefix = `${keyOf(agent, start).slice(0, -String(start).length)}`;
    try {
      for (const key of await this.#knowledge.keys(`${prefix}*`)) {
        const hour = Number(key.slice(prefix.length));
        if (hour < start - BUDGET_HOURS_KEPT * HOUR_MS) await this.#knowledge.purge(key);
      }
    } catch (error) {
      this.#onError?.(error, `${prefix}*`);
    }
  }

  /** Drops the accounts of hours before `start` that have nothing left to write. */
  #forgetPastHours(start: number): void {
    for (const [key, account] of this.#accounts) {
      if (account.hourStartMs < start && account.pending === 0 && account.flushing === undefined) {
        this.#accounts.delete(key);
      }
    }
  }
}

function keyOf(agent: string, hourStartMs: number): string {
  return KnowledgeKeys.budget(agent, hourStartMs);
}
