import type { ActorDefinition, ActorRef } from "../actor.js";
import { ask } from "../ask.js";

/** Messages of the counter actor the supervisor tests use to see whether state survived. */
export type CounterMessage =
  | { readonly type: "add" }
  | { readonly type: "get"; readonly reply: (count: number) => void }
  | { readonly type: "crash"; readonly error: Error };

/** A counter whose count lives in the closure of `start`, so a restart resets it to 0. */
export function counter(name: string, journal: string[] = []): ActorDefinition<CounterMessage> {
  return {
    name,
    start() {
      journal.push(`start ${name}`);
      let count = 0;
      return {
        receive(message) {
          if (message.type === "add") count++;
          else if (message.type === "get") message.reply(count);
          else throw message.error;
        },
        stop() {
          journal.push(`stop ${name}`);
        },
      };
    },
  };
}

/** Asks a counter for its count. */
export function countOf(ref: ActorRef<CounterMessage>): Promise<number> {
  return ask<CounterMessage, number>(ref, (reply) => ({ type: "get", reply }));
}

/** Tells a counter to add `times` times. */
export function add(ref: ActorRef<CounterMessage>, times: number): void {
  for (let i = 0; i < times; i++) ref.tell({ type: "add" });
}
