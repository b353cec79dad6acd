import type { ActorDefinition, ActorRef } from "../actor.js";
import { type Clock, systemClock } from "../clock.js";
import { ActorStopped, SupervisorGaveUp } from "../errors.js";
import type {
  RestartIntensity,
  RestartStrategy,
  Supervisor,
  SupervisorOptions,
} from "../supervisor.js";
import type { SupervisionStatus, SupervisorEvent, SupervisorStats } from "../supervisor-event.js";
import { ActorCell } from "./actor-cell.js";
import { type BackoffPolicy, backoffDelay } from "./backoff.js";
import { RestartWindow } from "./restart-window.js";
import type { ChildStopOutcome, SupervisedChild } from "./supervised-child.js";

/** A supervisor's bookkeeping about one child. */
interface ChildRecord {
  readonly child: SupervisedChild;
  restarting: boolean;
  restarts: number;
  /** Consecutive restarts so far, which sets the backoff. */
  attempt: number;
  startedAt: number;
}

interface ParentLink {
  readonly node: SupervisorNode;
  readonly failed: (error: SupervisorGaveUp) => void;
}

const defaultIntensity: RestartIntensity = { maxRestarts: 5, withinMs: 10_000 };
const idle: ChildStopOutcome = { outcome: "idle" };

/** The supervisor behind {@link createSupervisor}; also a child of its parent, if it has one. */
export class SupervisorNode implements Supervisor, SupervisedChild {
  readonly name: string;
  readonly #strategy: RestartStrategy;
  readonly #intensity: RestartIntensity;
  readonly #backoff: BackoffPolicy;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #onEvent: (event: SupervisorEvent) => void;
  readonly #onGiveUp: (error: SupervisorGaveUp) => void;
  readonly #window: RestartWindow;
  readonly #records: ChildRecord[] = [];
  /** Restarts and spawns under way; halting waits for them so nothing starts behind its back. */
  readonly #tasks = new Set<Promise<unknown>>();
  readonly #stats = { failures: 0, restarts: 0, gaveUp: 0 };
  #parent: ParentLink | undefined;
  /** Aborted when this incarnation of the supervisor halts, cancelling pending restarts. */
  #lifetime = new AbortController();
  #state: "running" | "stopped" | "failed" = "running";
  #stopped: Promise<ChildStopOutcome> | undefined;
  /** Settles once a give-up has been reported to the parent or `onGiveUp`. */
  #givingUp: Promise<void> = Promise.resolve();
  /** One-for-all restarts run one after another, never interleaved. */
  #allRestarts: Promise<void> = Promise.resolve();

  constructor(options: SupervisorOptions) {
    this.name = options.name;
    this.#strategy = options.strategy ?? "one-for-one";
    this.#intensity = options.intensity ?? defaultIntensity;
    this.#backoff = {
      factor: 2,
      jitter: 0.2,
      ...(options.backoff ?? { initialMs: 100, maxMs: 5_000 }),
    };
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#onEvent = options.onEvent ?? (() => {});
    this.#onGiveUp = options.onGiveUp ?? (() => {});
    const { maxRestarts, withinMs } = this.#intensity;
    const { initialMs, maxMs, factor, jitter } = this.#backoff;
    if (!(maxRestarts >= 0 && withinMs > 0 && initialMs >= 0 && maxMs >= 0 && factor >= 1)) {
      throw new RangeError(`invalid intensity or backoff for supervisor ${options.name}`);
    }
    if (!(jitter >= 0 && jitter <= 1))
      throw new RangeError(`jitter must be in [0, 1], got ${jitter}`);
    this.#window = new RestartWindow(maxRestarts, withinMs);
  }

  get path(): string {
    return this.#parent === undefined ? this.name : `${this.#parent.node.path}/${this.name}`;
  }

  async spawn<M>(definition: ActorDefinition<M>): Promise<ActorRef<M>> {
    if (this.#stopped !== undefined) throw new ActorStopped({ actor: this.path });
    if (this.#records.some((record) => record.child.name === definition.name)) {
      throw new RangeError(`${this.path} already has a child named ${definition.name}`);
    }
    const cell = new ActorCell(definition, {
      parentPath: () => this.path,
      crashed: (error) => this.#childFailed(record, error),
    });
    const record: ChildRecord = {
      child: cell,
      restarting: false,
      restarts: 0,
      attempt: 0,
      startedAt: 0,
    };
    this.#records.push(record);
    // A supervisor waiting to be restarted by its parent starts the actor with the rest.
    if (this.#state !== "running") return cell.ref;
    try {
      await this.#track(this.#startChild(record));
    } catch (error) {
      this.#records.splice(this.#records.indexOf(record), 1);
      throw error;
    }
    return cell.ref;
  }

  supervise(child: Supervisor): void {
    if (!(child instanceof SupervisorNode)) throw new TypeError("not made by createSupervisor");
    for (let node: SupervisorNode | undefined = this; node; node = node.#parent?.node) {
      if (node === child) throw new RangeError(`${child.path} cannot supervise itself`);
    }
    if (child.#parent !== undefined) throw new RangeError(`${child.path} already has a parent`);
    if (this.#stopped !== undefined) throw new ActorStopped({ actor: this.path });
    const record: ChildRecord = {
      child,
      restarting: false,
      restarts: 0,
      attempt: 0,
      startedAt: this.#clock.now(),
    };
    child.#parent = { node: this, failed: (error) => this.#childFailed(record, error) };
    this.#records.push(record);
    this.#emit({ type: "child-started", supervisor: this.path, child: child.path });
  }

  stats(): SupervisorStats {
    return { ...this.#stats };
  }

  status(): SupervisionStatus {
    return {
      name: this.name,
      kind: "supervisor",
      state: this.#state,
      restarts: 0,
      children: this.#records.map((record) => ({
        ...record.child.status(),
        ...(record.restarting ? { state: "restarting" as const } : {}),
        restarts: record.restarts,
      })),
    };
  }

  isRunning(): boolean {
    return (
      this.#state === "running" &&
      this.#records.every((record) => !record.restarting && record.child.isRunning())
    );
  }

  async stop(): Promise<void> {
    await this.terminate();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.terminate();
  }

  terminate(): Promise<ChildStopOutcome> {
    if (this.#stopped !== undefined) return this.#stopped.then(() => idle);
    const wasRunning = this.#state === "running";
    if (wasRunning) this.#state = "stopped";
    this.#stopped = this.#haltChildren("stop").then(() =>
      wasRunning ? { outcome: "stopped" } : idle,
    );
    return this.#stopped;
  }

  /** Restarted by the parent: starts every child fresh, with a fresh restart budget. */
  async start(started: () => void): Promise<void> {
    if (this.#stopped !== undefined) return;
    await this.halt();
    this.#lifetime = new AbortController();
    this.#window.reset();
    this.#state = "running";
    started();
    // Tracked so that giving up while children are still starting waits for this loop.
    const signal = this.#lifetime.signal;
    await this.#track(this.#startAll(signal)).catch(async (error: unknown) => {
      await this.halt();
      throw error;
    });
  }

  async halt(): Promise<ChildStopOutcome> {
    // Giving up reports to the parent only after halting; let that report land first, where the
    // parent (already restarting this supervisor) ignores it, rather than after a fresh start.
    await this.#givingUp;
    const wasRunning = this.#state === "running" && !this.#lifetime.signal.aborted;
    await this.#haltChildren("halt");
    if (this.#state === "running") this.#state = "stopped";
    return wasRunning ? { outcome: "stopped" } : idle;
  }

  async #startAll(signal: AbortSignal): Promise<void> {
    for (const record of this.#records) {
      if (signal.aborted) return;
      record.attempt = 0;
      await this.#startChild(record);
    }
  }

  #childFailed(record: ChildRecord, error: unknown): void {
    this.#stats.failures++;
    this.#emit({ type: "child-failed", supervisor: this.path, child: record.child.path, error });
    // A child failing while it is being stopped or restarted anyway needs no decision.
    if (this.#state !== "running" || this.#lifetime.signal.aborted || record.restarting) return;
    this.#decide(record, error);
  }

  #decide(record: ChildRecord, error: unknown): void {
    const now = this.#clock.now();
    if (!this.#window.admit(now)) {
      this.#giveUp(error);
      return;
    }
    this.#stats.restarts++;
    const stable = now - record.startedAt > this.#intensity.withinMs;
    record.attempt = stable ? 1 : record.attempt + 1;
    const attempt = record.attempt;
    const delayMs = backoffDelay(this.#backoff, attempt, this.#random);
    const signal = this.#lifetime.signal;
    if (this.#strategy === "one-for-one") {
      record.restarting = true;
      void this.#track(this.#restart([record], { delayMs, attempt, signal }));
      return;
    }
    for (const each of this.#records) each.restarting = true;
    this.#allRestarts = this.#allRestarts.then(() =>
      this.#restart([...this.#records], { delayMs, attempt, signal }),
    );
    void this.#track(this.#allRestarts);
  }

  /** Stops `targets` in reverse order, waits out the backoff, starts them in order. Never rejects. */
  async #restart(
    targets: readonly ChildRecord[],
    plan: { delayMs: number; attempt: number; signal: AbortSignal },
  ): Promise<void> {
    const { delayMs, attempt, signal } = plan;
    for (const record of targets.toReversed()) await this.#stopChild(record, "halt");
    if (signal.aborted) return;
    for (const { child } of targets) {
      this.#emit({
        type: "child-restarting",
        supervisor: this.path,
        child: child.path,
        delayMs,
        attempt,
      });
    }
    try {
      await this.#clock.sleep(delayMs, signal);
    } catch {
      return; // the supervisor is halting; it resets the children's state itself
    }
    for (const record of targets) {
      if (signal.aborted) return;
      record.restarts++;
      try {
        await this.#startChild(record);
      } catch (error) {
        // Failing to start is one more failure of the child, with the usual budget and backoff;
        // under one-for-all the next restart also covers the targets not started yet.
        this.#stats.failures++;
        this.#emit({
          type: "child-failed",
          supervisor: this.path,
          child: record.child.path,
          error,
        });
        if (!signal.aborted && this.#state === "running") this.#decide(record, error);
        return;
      }
    }
  }

  #giveUp(cause: unknown): void {
    if (this.#state !== "running") return;
    this.#state = "failed";
    this.#stats.gaveUp++;
    const { maxRestarts: restarts, withinMs } = this.#intensity;
    const error = new SupervisorGaveUp({ supervisor: this.path, restarts, withinMs, cause });
    this.#emit({ type: "gave-up", supervisor: this.path, error });
    this.#givingUp = this.#escalate(error);
  }

  async #escalate(error: SupervisorGaveUp): Promise<void> {
    const parent = this.#parent;
    if (parent !== undefined) {
      // Children keep their mailboxes: the parent may restart this supervisor.
      await this.#haltChildren("halt");
      parent.failed(error);
      return;
    }
    await this.terminate();
    // Not guarded like onEvent: if the host cannot handle giving up, the unhandled rejection
    // should take the process down anyway.
    this.#onGiveUp(error);
  }

  #startChild(record: ChildRecord): Promise<void> {
    return record.child.start(() => {
      record.startedAt = this.#clock.now();
      record.restarting = false;
      this.#emit({ type: "child-started", supervisor: this.path, child: record.child.path });
    });
  }

  async #stopChild(record: ChildRecord, how: "halt" | "stop"): Promise<void> {
    const ended = how === "halt" ? await record.child.halt() : await record.child.terminate();
    if (ended.outcome === "idle") return;
    const { path: child } = record.child;
    const error = ended.outcome === "hook-failed" ? { error: ended.error } : {};
    this.#emit({ type: "child-stopped", supervisor: this.path, child, ...error });
  }

  async #haltChildren(how: "halt" | "stop"): Promise<void> {
    this.#lifetime.abort();
    while (this.#tasks.size > 0) await Promise.all(this.#tasks);
    for (const record of this.#records.toReversed()) {
      await this.#stopChild(record, how);
      record.restarting = false;
    }
  }

  #track(work: Promise<unknown>): Promise<unknown> {
    const settled = work.then(
      () => {},
      () => {},
    );
    this.#tasks.add(settled);
    void settled.then(() => this.#tasks.delete(settled));
    return work;
  }

  #emit(event: SupervisorEvent): void {
    try {
      this.#onEvent(event);
    } catch {
      // Telemetry must not break supervision.
    }
  }
}
