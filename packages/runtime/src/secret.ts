import { inspect } from "node:util";

const REDACTED = "[redacted]";

/**
 * A secret value (API key, token, password, nkey seed) that cannot be printed by accident:
 * `String()`, `JSON.stringify`, `util.inspect` and pino all show `[redacted]`. Call
 * {@link Secret.reveal} only at the point of use (handing it to a client library).
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
