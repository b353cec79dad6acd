import type { ActorDefinition, ActorRef, Behavior } from "../actor.js";
import { OverflowPolicy } from "../overflow-policy.js";
import type { SupervisionStatus } from "../supervisor-event.js";
import { Mailbox } from "./mailbox.js";
import type { ChildStopOutcome, SupervisedChild } from "./supervised-child.js";

const defaultCapacity = 1024;

interface Incarnation {
  readonly controller: AbortController;
  readonly ended: Promise<ChildStopOutcome>;
}

/** Where an actor sits in the tree and whom it tells when it crashes. */
export interface ActorCellOptions {
  readonly parentPath: () => string;
  /** Called synchronously from the crash, before the `stop` hook runs. */
  readonly crashed: (error: unknown) => void;
}

/**
 * The runtime of one actor: its mailbox, the ref handed out to others, and the current
 * incarnation's processing loop.
 */
export class ActorCell<M> implements SupervisedChild {
  readonly name: string;
  readonly ref: ActorRef<M>;
  readonly #definition: ActorDefinition<M>;
  readonly #options: ActorCellOptions;
  readonly #mailbox: Mailbox<M>;
  #current: Incarnation | undefined;
  // A second `halt` while one is under way waits for the same end but reports "idle", so the
  // supervisor announces each stop once.
  #ending: Promise<unknown> = Promise.resolve();
  #state: "running" | "stopped" | "failed" = "stopped";
  #closed = false;

  constructor(definition: ActorDefinition<M>, options: ActorCellOptions) {
    this.name = definition.name;
    this.#definition = definition;
    this.#options = options;
    const mailbox = new Mailbox<M>(
      () => this.path,
      definition.mailbox?.capacity ?? defaultCapacity,
      definition.mailbox?.overflow ?? OverflowPolicy.Reject,
    );
    this.#mailbox = mailbox;
    const cell = this;
    this.ref = {
      name: definition.name,
      get path() {
        return cell.path;
      },
      tell: (message) => mailbox.tell(message),
      send: (message) => mailbox.send(message),
      get mailboxSize() {
        return mailbox.size;
      },
    };
  }

  get path(): string {
    return `${this.#options.parentPath()}/${this.name}`;
  }

  async start(started: () => void): Promise<void> {
    if (this.#closed) return;
    await this.halt();
    const controller = new AbortController();
    let behavior: Behavior<M>;
    try {
      behavior = await this.#definition.start({
        self: this.ref,
        name: this.name,
        path: this.path,
        signal: controller.signal,
      });
    } catch (error) {
      controller.abort(error);
      throw error;
    }
    this.#state = "running";
    this.#current = { controller, ended: this.#run(behavior, controller) };
    started();
  }

  halt(): Promise<ChildStopOutcome> {
    const current = this.#current;
    if (current === undefined) return this.#ending.then(() => ({ outcome: "idle" }));
    this.#current = undefined;
    this.#ending = current.ended;
    current.controller.abort();
    return current.ended.then((outcome) => {
      this.#state = "stopped";
      return outcome;
    });
  }

  terminate(): Promise<ChildStopOutcome> {
    this.#closed = true;
    this.#mailbox.close();
    return this.halt();
  }

  status(): SupervisionStatus {
    return { name: this.name, kind: "actor", state: this.#state, restarts: 0 };
  }

  isRunning(): boolean {
    return this.#state === "running";
  }

  async #run(behavior: Behavior<M>, controller: AbortController): Promise<ChildStopOutcome> {
    const { signal } = controller;
    for (;;) {
      // Always yields before the first message, so `start` has recorded this incarnation
      // before a synchronous crash can ask the supervisor to halt it.
      await this.#mailbox.whenReady(signal);
      if (signal.aborted) break;
      try {
        await behavior.receive(this.#mailbox.take());
      } catch (error) {
        this.#state = "failed";
        controller.abort(error);
        this.#options.crashed(error);
        break;
      }
    }
    try {
      await behavior.stop?.();
      return { outcome: "stopped" };
    } catch (error) {
      return { outcome: "hook-failed", error };
    }
  }
}
