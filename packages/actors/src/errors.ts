/** Options for {@link MailboxFull}. */
export interface MailboxFullOptions {
  /** Path of the actor whose mailbox is full. */
  readonly actor: string;
  /** The mailbox capacity that was reached. */
  readonly capacity: number;
  readonly cause?: unknown;
}

/**
 * `tell` found the mailbox full under the `reject` overflow policy. Request paths catch it and
 * answer "overloaded" instead of queueing work they cannot finish in time.
 */
export class MailboxFull extends Error {
  override readonly name = "MailboxFull";
  readonly code = "MAILBOX_FULL";
  /** Path of the actor whose mailbox is full. */
  readonly actor: string;
  /** The mailbox capacity that was reached. */
  readonly capacity: number;

  constructor(options: MailboxFullOptions) {
    super(`mailbox of ${options.actor} is full (capacity ${options.capacity})`, {
      cause: options.cause,
    });
    this.actor = options.actor;
    this.capacity = options.capacity;
  }
}

/** Options for {@link ActorStopped}. */
export interface ActorStoppedOptions {
  /** Path of the stopped actor or supervisor. */
  readonly actor: string;
  readonly cause?: unknown;
}

/**
 * The actor (or the supervisor asked to spawn one) has been stopped for good: `tell` throws
 * it, `send` rejects with it, and senders still waiting for mailbox space receive it.
 */
export class ActorStopped extends Error {
  override readonly name = "ActorStopped";
  readonly code = "ACTOR_STOPPED";
  /** Path of the stopped actor or supervisor. */
  readonly actor: string;

  constructor(options: ActorStoppedOptions) {
    super(`${options.actor} is stopped`, { cause: options.cause });
    this.actor = options.actor;
  }
}

/** Options for {@link AskTimeout}. */
export interface AskTimeoutOptions {
  /** Path of the actor that did not answer. */
  readonly actor: string;
  /** How long the caller waited. */
  readonly timeoutMs: number;
  readonly cause?: unknown;
}

/** An {@link ask} got no reply within its timeout. The request may still be processed later. */
export class AskTimeout extends Error {
  override readonly name = "AskTimeout";
  readonly code = "ASK_TIMEOUT";
  /** Path of the actor that did not answer. */
  readonly actor: string;
  /** How long the caller waited. */
  readonly timeoutMs: number;

  constructor(options: AskTimeoutOptions) {
    super(`${options.actor} did not reply within ${options.timeoutMs} ms`, {
      cause: options.cause,
    });
    this.actor = options.actor;
    this.timeoutMs = options.timeoutMs;
  }
}

/** Options for {@link SupervisorGaveUp}. */
export interface SupervisorGaveUpOptions {
  /** Path of the supervisor that gave up. */
  readonly supervisor: string;
  /** The restart budget that was exhausted (`intensity.maxRestarts`). */
  readonly restarts: number;
  /** The window the budget applies to (`intensity.withinMs`). */
  readonly withinMs: number;
  /** The failure that would have needed one restart too many. */
  readonly cause: unknown;
}

/**
 * A supervisor's children failed more often than its restart intensity allows. The supervisor
 * has stopped its children; its parent treats this as the failure of a child, and a root
 * supervisor hands it to `onGiveUp` so the process can exit and be restarted from outside.
 */
export class SupervisorGaveUp extends Error {
  override readonly name = "SupervisorGaveUp";
  readonly code = "SUPERVISOR_GAVE_UP";
  /** Path of the supervisor that gave up. */
  readonly supervisor: string;
  /** The restart budget that was exhausted (`intensity.maxRestarts`). */
  readonly restarts: number;
  /** The window the budget applies to (`intensity.withinMs`). */
  readonly withinMs: number;

  constructor(options: SupervisorGaveUpOptions) {
    super(
      `${options.supervisor} gave up: more than ${options.restarts} restarts within ${options.withinMs} ms`,
      { cause: options.cause },
    );
    this.supervisor = options.supervisor;
    this.restarts = options.restarts;
    this.withinMs = options.withinMs;
  }
}
