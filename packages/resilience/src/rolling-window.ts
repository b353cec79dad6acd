/** Calls counted by a {@link RollingWindow}. */
export interface WindowCounts {
  readonly requests: number;
  readonly failures: number;
}

interface Slot {
  startMs: number;
  requests: number;
  failures: number;
}

/**
 * Outcomes of calls over the last `windowMs`, kept in `slots` equal slots so old outcomes age
 * out a slot at a time (memory is constant however many calls there are). The window reaches
 * back between `windowMs − windowMs/slots` and `windowMs`.
 */
export class RollingWindow {
  readonly #slotMs: number;
  readonly #slots: Slot[];

  constructor(windowMs: number, slots = 10) {
    if (!(windowMs > 0) || !Number.isInteger(slots) || slots < 1) {
      throw new RangeError("a rolling window needs windowMs > 0 and at least one slot");
    }
    this.#slotMs = Math.max(1, Math.ceil(windowMs / slots));
    this.#slots = Array.from({ length: slots }, () => ({
      startMs: -Infinity,
      requests: 0,
      failures: 0,
    }));
  }

  /** Counts one call that succeeded (`ok`) or failed at `nowMs`. */
  record(ok: boolean, nowMs: number): void {
    const slot = this.#slotAt(nowMs);
    slot.requests++;
    if (!ok) slot.failures++;
  }

  /** The calls of the window ending at `nowMs`. */
  counts(nowMs: number): WindowCounts {
    const oldest = this.#startOf(nowMs) - this.#slotMs * (this.#slots.length - 1);
    let requests = 0;
    let failures = 0;
    for (const slot of this.#slots) {
      if (slot.startMs < oldest || slot.startMs > nowMs) continue;
      requests += slot.requests;
      failures += slot.failures;
    }
    return { requests, failures };
  }

  /** Forgets every call (a breaker that closes starts from a clean window). */
  reset(): void {
    for (const slot of this.#slots) {
      slot.startMs = -Infinity;
      slot.requests = 0;
      slot.failures = 0;
    }
  }

  #startOf(nowMs: number): number {
    return Math.floor(nowMs / this.#slotMs) * this.#slotMs;
  }

  #slotAt(nowMs: number): Slot {
    const startMs = this.#startOf(nowMs);
    const index = Math.floor(startMs / this.#slotMs) % this.#slots.length;
    const slot = this.#slots[(index + this.#slots.length) % this.#slots.length] as Slot;
    // A clock that stepped back into a slot already reused counts into the newer slot.
    if (slot.startMs < startMs) {
      slot.startMs = startMs;
      slot.requests = 0;
      slot.failures = 0;
    }
    return slot;
  }
}
