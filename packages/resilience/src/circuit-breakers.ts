import { randomUUID } from "node:crypto";
import { BreakerRecord, type BreakerState, KnowledgeKeys } from "@patinox/contracts";
import { type Knowledge, Unchanged } from "@patinox/knowledge";
import {
  type BreakerPolicy,
  type BreakerTarget,
  DEFAULT_BREAKER_POLICY,
  type ProbeOutcome,
  probeClaimed,
  probeSettled,
  shouldTrip,
  tripped,
  verdict,
} from "./breaker-policy.ts";
import { systemClock, type WallClock } from "./clock.ts";
import { RollingWindow } from "./rolling-window.ts";

/**
 * A breaker changed state; the fields of contracts' `BreakerStateEvent`. Reported once per
 * transition, by the replica whose compare-and-set made it.
 */
export interface BreakerTransition {
  readonly provider: string;
  readonly model: string;
  readonly state: BreakerState;
  readonly previous: BreakerState;
  /** The agent whose call made the transition, when the caller said. */
  readonly agent?: string;
  /** Failure ratio over the window that tripped it (on opening). */
  readonly failureRatio?: number;
  /** Calls in that window (on opening). */
  readonly requests?: number;
}

/** Options of {@link CircuitBreakers}. */
export interface CircuitBreakersOptions {
  readonly knowledge: Knowledge;
  /** @default {@link DEFAULT_BREAKER_POLICY} */
  readonly policy?: BreakerPolicy;
  /** @default Date.now */
  readonly now?: WallClock;
  /** Names this instance as a probe's owner. @default a random UUID */
  readonly instanceId?: string;
  /** Told of each transition this instance made (wired to telemetry). Must not throw. */
  readonly onStateChange?: (transition: BreakerTransition) => void;
  /**
   * Told when this instance's view of a breaker changes state, whoever made the change (its
   * own write or another replica's, seen by the watch). Must not throw.
   */
  readonly onObserved?: (record: BreakerRecord) => void;
  /** Told when the shared record could not be read or written; the call goes on regardless. */
  readonly onError?: (error: unknown, key: string) => void;
}

/** Whether a model may be called now; hand it back to {@link CircuitBreakers.record}. */
export type BreakerPermit =
  | {
      readonly allowed: true;
      readonly target: BreakerTarget;
      /** This call is the half-open probe: its outcome closes or re-opens the breaker. */
      readonly probe: boolean;
    }
  | {
      readonly allowed: false;
      readonly target: BreakerTarget;
      readonly state: BreakerState;
      /** Until the cool-down ends (or the probe lapses). */
      readonly retryAfterMs: number;
    };

/** How a permitted call ended, for the breaker. */
export type CallOutcome =
  /** Answered: counts as a success. */
  | "success"
  /** A failure of the model's health (5xx, timeout, connection): counts against it. */
  | "failure"
  /** Says nothing about the model's health (aborted by the run, 429, refused key). */
  | "neutral";

interface Known {
  readonly record: BreakerRecord;
  readonly revision: number;
}

/**
 * Circuit breakers per provider and model, shared by every replica through the knowledge
 * bucket (`breakers.<provider>.<model>`):
 *
 * - each replica counts its own calls in a rolling window; the one whose window trips the
 *   breaker writes `open` with compare-and-set (a breaker already open is left alone);
 * - every replica follows `breakers.>` ({@link CircuitBreakers.follow}) and decides from the
 *   cached record, so a closed breaker costs no I/O;
 * - after the cool-down, exactly one replica claims the half-open probe by compare-and-set;
 *   the others skip the model until the probe's outcome closes or re-opens it. A probe whose
 *   owner never reports lapses after `probeTimeoutMs`.
 */
export class CircuitBreakers {
  readonly #knowledge: Knowledge;
  readonly #policy: BreakerPolicy;
  readonly #now: WallClock;
  readonly #owner: string;
  readonly #onStateChange: ((transition: BreakerTransition) => void) | undefined;
  readonly #onError: ((error: unknown, key: string) => void) | undefined;
  readonly #onObserved: ((record: BreakerRecord) => void) | undefined;
  readonly #known = new Map<string, Known>();
  readonly #windows = new Map<string, RollingWindow>();

  constructor(options: CircuitBreakersOptions) {
    this.#knowledge = options.knowledge;
    this.#policy = options.policy ?? DEFAULT_BREAKER_POLICY;
    this.#now = options.now ?? systemClock;
    this.#owner = options.instanceId ?? randomUUID();
    this.#onStateChange = options.onStateChange;
    this.#onError = options.onError;
    this.#onObserved = options.onObserved;
  }

  /** The policy in force. */
  get policy(): BreakerPolicy {
    return this.#policy;
  }

  /** The state this instance last saw for a model (`closed` when never written). */
  state(target: BreakerTarget): BreakerState {
    return this.#known.get(keyOf(target))?.record.state ?? "closed";
  }

  /**
   * Whether `target` may be called now. Costs no I/O unless the cool-down is over, when it
   * tries to claim the probe by compare-and-set (losing means another replica probes: skip).
   */
  async permit(target: BreakerTarget): Promise<BreakerPermit> {
    const key = keyOf(target);
    const decided = verdict(this.#known.get(key)?.record, this.#now());
    if (decided.kind === "call") return { allowed: true, target, probe: false };
    if (decided.kind === "skip") {
      return { allowed: false, target, state: decided.state, retryAfterMs: decided.retryAfterMs };
    }
    const claimed = await this.#transition(target, (current) =>
      probeClaimed(current, this.#owner, this.#policy, this.#now()),
    );
    if (claimed) return { allowed: true, target, probe: true };
    // Lost the race: the compare-and-set read the record another replica wrote.
    const after = verdict(this.#known.get(key)?.record, this.#now());
    if (after.kind === "call") return { allowed: true, target, probe: false };
    if (after.kind === "skip") {
      return { allowed: false, target, state: after.state, retryAfterMs: after.retryAfterMs };
    }
    // The bucket could not be written (reported): an open breaker stays skipped until it can.
    return { allowed: false, target, state: "open", retryAfterMs: 0 };
  }

  /**
   * Records how a permitted call ended. A probe settles the breaker (closed on success, open
   * again on failure, released for the next caller when neutral); any other call is counted
   * in this replica's window, which may trip the breaker.
   */
  async record(permit: BreakerPermit, outcome: CallOutcome): Promise<void> {
    if (!permit.allowed) return;
    const { target } = permit;
    if (permit.probe) {
      const settled: ProbeOutcome = outcome === "neutral" ? "released" : outcome;
      await this.#transition(target, (current) =>
        probeSettled(current, this.#owner, settled, this.#policy, this.#now()),
      );
      return;
    }
    if (outcome === "neutral") return;
    const key = keyOf(target);
    const now = this.#now();
    const window = this.#windowOf(key);
    window.record(outcome === "success", now);
    if (outcome === "success" || this.state(target) !== "closed") return;
    const counts = window.counts(now);
    if (!shouldTrip(counts, this.#policy)) return;
    await this.#transition(target, (current) =>
      tripped(current, target, counts, this.#policy, this.#now()),
    );
  }

  /**
   * Follows every breaker in the bucket until `signal` aborts: first the current records, then
   * each change. Returns when the watch ends; the caller restarts it (an actor under a
   * supervisor in Execute). Records that fail their schema are reported and skipped.
   */
  async follow(signal: AbortSignal): Promise<void> {
    for await (const change of this.#knowledge.watch(KnowledgeKeys.allBreakers, BreakerRecord, {
      signal,
    })) {
      if (change.kind === "put") {
        this.#remember(change.key, { record: change.value, revision: change.revision });
      } else if (change.kind === "delete") {
        this.#known.delete(change.key);
      } else {
        this.#onError?.(change.error, change.key);
      }
    }
  }

  /**
   * One compare-and-set on the breaker's record. Returns whether this instance's write made a
   * transition (then reported to `onStateChange`). Errors are reported, never thrown: the
   * breaker's bookkeeping must not fail the run it observes.
   */
  async #transition(
    target: BreakerTarget,
    change: (current: BreakerRecord | undefined) => BreakerRecord | undefined,
  ): Promise<boolean> {
    const key = keyOf(target);
    let previous: BreakerState = "closed";
    let written: BreakerRecord | undefined;
    try {
      const entry = await this.#knowledge.update(
        key,
        BreakerRecord,
        (current): BreakerRecord | typeof Unchanged => {
          previous = current?.state ?? "closed";
          written = change(current);
          return written ?? Unchanged;
        },
      );
      if (entry !== undefined)
        this.#remember(key, { record: entry.value, revision: entry.revision });
    } catch (error) {
      this.#onError?.(error, key);
      return false;
    }
    if (written === undefined) return false;
    const transition: BreakerTransition = {
      provider: target.provider,
      model: target.model,
      ...(target.agent !== undefined ? { agent: target.agent } : {}),
      state: written.state,
      previous,
      ...(written.state === "open" && written.failureRatio !== undefined
        ? { failureRatio: written.failureRatio }
        : {}),
      ...(written.state === "open" && written.requests !== undefined
        ? { requests: written.requests }
        : {}),
    };
    try {
      this.#onStateChange?.(transition);
    } catch (error) {
      this.#onError?.(error, key);
    }
    return true;
  }

  /** Keeps the newest record of a key (the watch and this instance's writes may cross). */
  #remember(key: string, known: Known): void {
    const before = this.#known.get(key);
    if (before !== undefined && before.revision >= known.revision) return;
    this.#known.set(key, known);
    if (known.record.state !== (before?.record.state ?? "closed")) {
      try {
        this.#onObserved?.(known.record);
      } catch (error) {
        this.#onError?.(error, key);
      }
    }
    // A breaker that closes starts counting afresh: the failures that opened it are history.
    if (known.record.state === "closed" && before?.record.state !== "closed") {
      this.#windows.get(key)?.reset();
    }
  }

  #windowOf(key: string): RollingWindow {
    let window = this.#windows.get(key);
    if (window === undefined) {
      window = new RollingWindow(this.#policy.windowMs);
      this.#windows.set(key, window);
    }
    return window;
  }
}

function keyOf(target: BreakerTarget): string {
  return KnowledgeKeys.breaker(target.provider, target.model);
}
