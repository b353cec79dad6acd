import type { SupervisorEvent } from "../supervisor-event.js";

type Matcher = (event: SupervisorEvent) => boolean;

/** Records supervisor events and lets a test wait for them instead of sleeping. */
export class EventLog {
  readonly events: SupervisorEvent[] = [];
  readonly #waiters: { matches: Matcher; count: number; resolve: () => void }[] = [];

  /** Pass as `onEvent`. */
  readonly record = (event: SupervisorEvent): void => {
    this.events.push(event);
    for (const waiter of [...this.#waiters]) {
      if (this.#count(waiter.matches) >= waiter.count) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };

  /** Resolves once `count` recorded events of `type` (and for `child`, if given) exist. */
  waitFor(type: SupervisorEvent["type"], options: { child?: string; count?: number } = {}) {
    const count = options.count ?? 1;
    const matches: Matcher = (event) =>
      event.type === type && (options.child === undefined || childOf(event) === options.child);
    if (this.#count(matches) >= count) return Promise.resolve();
    return new Promise<void>((resolve) => this.#waiters.push({ matches, count, resolve }));
  }

  /** `type` and child of each event, for asserting sequences compactly. */
  summary(): string[] {
    return this.events.map((event) => `${event.type} ${childOf(event) ?? event.supervisor}`);
  }

  #count(matches: Matcher): number {
    return this.events.filter(matches).length;
  }
}

function childOf(event: SupervisorEvent): string | undefined {
  return "child" in event ? event.child : undefined;
}
