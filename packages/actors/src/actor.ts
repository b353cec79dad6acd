import type { OverflowPolicy } from "./overflow-policy.js";

/** Bounds of an actor's mailbox. */
export interface MailboxOptions {
  /**
   * Messages the mailbox holds, not counting the one being processed.
   * @default 1024
   */
  readonly capacity?: number;
  /**
   * What `tell` does when the mailbox is full; see {@link OverflowPolicy}.
   * @default "reject"
   */
  readonly overflow?: OverflowPolicy;
}

/**
 * How to run one actor. A supervisor calls `start` on every (re)start, so state kept in the
 * closure of `start` is fresh after each restart.
 */
export interface ActorDefinition<M> {
  /** Unique among the supervisor's children; the last segment of the actor's path. */
  readonly name: string;
  /** Mailbox bounds; see {@link MailboxOptions}. */
  readonly mailbox?: MailboxOptions;
  /**
   * Builds a new incarnation. Throwing here fails `spawn`, or during a restart counts as one
   * more failure of the child.
   */
  start(ctx: ActorContext<M>): Behavior<M> | Promise<Behavior<M>>;
}

/** What one incarnation of an actor does with its messages. */
export interface Behavior<M> {
  /**
   * Handles one message; the next is not delivered until the returned promise settles. Throwing
   * or rejecting crashes the incarnation: the message is dropped, the rest of the mailbox is kept
   * for the next incarnation, and the supervisor decides what happens.
   */
  receive(message: M): void | Promise<void>;
  /**
   * Releases what `start` acquired. Runs once per incarnation, after the last `receive` has
   * settled, whether the incarnation is stopped, restarted or has crashed.
   */
  stop?(): void | Promise<void>;
}

/** What an incarnation knows about itself. */
export interface ActorContext<M> {
  /** A reference to this actor; it stays valid across restarts. */
  readonly self: ActorRef<M>;
  /** The actor's name. */
  readonly name: string;
  /** Names from the root supervisor down to this actor, joined by `/`. */
  readonly path: string;
  /** Aborted when this incarnation stops, so long work started by `receive` can bail out. */
  readonly signal: AbortSignal;
}

/**
 * The address of an actor. It outlives incarnations: messages told while the actor restarts
 * wait in the same mailbox.
 */
export interface ActorRef<M> {
  /** The actor's name. */
  readonly name: string;
  /** Names from the root supervisor down to this actor, joined by `/`. */
  readonly path: string;
  /**
   * Queues a message without waiting. Throws {@link MailboxFull} when the mailbox is full under
   * the `reject` policy and {@link ActorStopped} once the actor is stopped.
   */
  tell(message: M): void;
  /**
   * Queues a message, waiting for space if the mailbox is full (under either policy). Rejects
   * with {@link ActorStopped} if the actor is stopped before the message is accepted.
   */
  send(message: M): Promise<void>;
  /** Messages waiting in the mailbox, not counting the one being processed. */
  readonly mailboxSize: number;
}
