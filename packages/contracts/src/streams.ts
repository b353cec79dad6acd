import { checkDottedName } from "./internal/check-name.ts";
import { DEFAULT_PREFIX } from "./subjects.ts";

/**
 * The JetStream streams of one Patinox installation, named after the subject prefix (dots
 * become `_`, since a stream name cannot hold them): `patinox` → `patinox_telemetry`, …
 * Each service creates or updates the streams it writes at start, idempotently.
 */
export interface StreamNames {
  /** `<prefix>.telemetry.>`: every telemetry event (Monitor's durable consumer reads it). */
  readonly telemetry: string;
  /** `<prefix>.events.>`: finding and plan events (Plan's durable consumer reads it). */
  readonly events: string;
  /** `<prefix>.jobs.*`: durable jobs, a work queue (Execute pulls). */
  readonly jobs: string;
  /** `<prefix>.results.>`: job results, looked up by run id (last message per subject). */
  readonly results: string;
  /** `<prefix>.deadletters.>`: messages a consumer terminated, with the reason. */
  readonly deadLetters: string;
}

/**
 * The stream names for `prefix`.
 * @throws PatinoxError `invalid_name` when the prefix breaks the grammar.
 */
export function streamNames(prefix: string = DEFAULT_PREFIX): StreamNames {
  const base = checkDottedName("prefix", prefix).replaceAll(".", "_");
  return Object.freeze({
    telemetry: `${base}_telemetry`,
    events: `${base}_events`,
    jobs: `${base}_jobs`,
    results: `${base}_results`,
    deadLetters: `${base}_deadletters`,
  });
}
