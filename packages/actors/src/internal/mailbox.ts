import { ActorStopped, MailboxFull } from "../errors.js";
import type { OverflowPolicy } from "../overflow-policy.js";

interface WaitingSender<M> {
  readonly message: M;
  readonly accepted: () => void;
  readonly refused: (error: ActorStopped) => void;
}

const ignore = (): void => {};

/**
 * A bounded FIFO with one consumer. It belongs to the actor, not to an incarnation, which is
 * what lets messages survive a restart.
 *
 * Invariant: senders wait only while the queue is full, because `take` hands the freed slot to
 * the first waiting sender at once. So a `tell` can never overtake a waiting sender.
 */
export class Mailbox<M> {
  readonly #queue: M[] = [];
  readonly #waiting: WaitingSender<M>[] = [];
  readonly #actor: () => string;
  readonly #capacity: number;
  readonly #overflow: OverflowPolicy;
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(actor: () => string, capacity: number, overflow: OverflowPolicy) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`mailbox capacity must be a positive integer, got ${capacity}`);
    }
    this.#actor = actor;
    this.#capacity = capacity;
    this.#overflow = overflow;
  }

  get size(): number {
    return this.#queue.length;
  }

  tell(message: M): void {
    if (this.#closed) throw new ActorStopped({ actor: this.#actor() });
    if (this.#queue.length < this.#capacity) {
      this.#accept(message);
    } else if (this.#overflow === "wait") {
      this.#waiting.push({ message, accepted: ignore, refused: ignore });
    } else {
      throw new MailboxFull({ actor: this.#actor(), capacity: this.#capacity });
    }
  }

  send(message: M): Promise<void> {
    if (this.#closed) return Promise.reject(new ActorStopped({ actor: this.#actor() }));
    if (this.#queue.length < this.#capacity) {
      this.#accept(message);
      return Promise.resolve();
    }
    return new Promise((accepted, refused) => {
      this.#waiting.push({ message, accepted, refused });
    });
  }

  /** Removes the oldest message. Only call when `size > 0`. */
  take(): M {
    const message = this.#queue.shift() as M;
    const next = this.#waiting.shift();
    if (next !== undefined) {
      this.#queue.push(next.message);
      next.accepted();
    }
    return message;
  }

  /** Resolves once a message is queued or `signal` aborts, whichever is first. */
  whenReady(signal: AbortSignal): Promise<void> {
    if (this.#queue.length > 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        signal.removeEventListener("abort", wake);
        this.#wake = undefined;
        resolve();
      };
      this.#wake = wake;
      signal.addEventListener("abort", wake);
    });
  }

  /** Refuses further messages and drops those queued or waiting for space. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    const error = new ActorStopped({ actor: this.#actor() });
    for (const sender of this.#waiting.splice(0)) sender.refused(error);
  }

  #accept(message: M): void {
    this.#queue.push(message);
    this.#wake?.();
  }
}
