import { DiscardPolicy, RetentionPolicy, StorageType, type StreamConfig } from "@nats-io/jetstream";
import { nanos } from "@nats-io/nats-core";
import { createSubjects, DEFAULT_PREFIX, streamNames } from "@patinox/contracts";

/**
 * The part of a JetStream stream configuration Patinox sets. Only fields nats-server 2.9.10
 * understands are used, so the same configuration works there and on newer servers.
 */
export type PatinoxStreamConfig = Pick<
  StreamConfig,
  | "name"
  | "subjects"
  | "retention"
  | "storage"
  | "max_age"
  | "max_bytes"
  | "max_msgs_per_subject"
  | "duplicate_window"
  | "num_replicas"
  | "discard"
> & { readonly description: string };

/** How long a stream drops a republished `Nats-Msg-Id`: 2 minutes, for every stream. */
export const DUPLICATE_WINDOW_MS = 120_000;

/** Options for {@link installationStreams}. */
export interface InstallationStreamsOptions {
  /** The subject prefix. @default "patinox" */
  readonly prefix?: string;
  /** Stream replicas (3 on a production cluster). @default 1 */
  readonly replicas?: number;
  /** How long telemetry is kept, in milliseconds; 0 keeps it until `telemetryMaxBytes`. @default 7 days */
  readonly telemetryMaxAgeMs?: number;
  /** Most bytes of telemetry kept (the oldest are dropped first); -1 is unlimited. @default 1 GiB */
  readonly telemetryMaxBytes?: number;
  /** How long a job result is kept, in milliseconds. @default 1 day */
  readonly resultsMaxAgeMs?: number;
  /** How long finding and plan events are kept, in milliseconds; 0 is forever. @default 30 days */
  readonly eventsMaxAgeMs?: number;
  /** How long dead letters are kept, in milliseconds; 0 is forever. @default 30 days */
  readonly deadLettersMaxAgeMs?: number;
}

/** The configuration of each stream of one installation. */
export interface InstallationStreams {
  /** `<prefix>.telemetry.>`: limits retention; max age and bytes from the options. */
  readonly telemetry: PatinoxStreamConfig;
  /** `<prefix>.events.>`: finding and plan events, limits retention. */
  readonly events: PatinoxStreamConfig;
  /** `<prefix>.jobs.*`: durable jobs, work-queue retention (a job is gone once acked). */
  readonly jobs: PatinoxStreamConfig;
  /** `<prefix>.results.>`: job results, one message kept per subject (per run id). */
  readonly results: PatinoxStreamConfig;
  /** `<prefix>.deadletters.>`: terminated messages with the reason. */
  readonly deadLetters: PatinoxStreamConfig;
}

const DAY_MS = 86_400_000;

/**
 * The stream configurations of one installation, named by the contracts' `streamNames`.
 * Every stream is file-backed, discards the oldest messages at its limits and drops a repeated
 * `Nats-Msg-Id` within {@link DUPLICATE_WINDOW_MS}.
 * @throws PatinoxError `invalid_name` when the prefix breaks the grammar.
 */
export function installationStreams(options: InstallationStreamsOptions = {}): InstallationStreams {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const names = streamNames(prefix);
  const subjects = createSubjects(prefix);
  const replicas = options.replicas ?? 1;
  const base = (
    name: string,
    subject: string,
    description: string,
    maxAgeMs: number,
  ): PatinoxStreamConfig => ({
    name,
    subjects: [subject],
    description,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(maxAgeMs),
    max_bytes: -1,
    max_msgs_per_subject: -1,
    // The duplicate window may not exceed max age; a stream kept forever (0) has no such bound.
    duplicate_window: nanos(
      maxAgeMs > 0 ? Math.min(DUPLICATE_WINDOW_MS, maxAgeMs) : DUPLICATE_WINDOW_MS,
    ),
    num_replicas: replicas,
    discard: DiscardPolicy.Old,
  });
  return Object.freeze({
    telemetry: {
      ...base(
        names.telemetry,
        subjects.telemetryAll,
        "Patinox telemetry events (Monitor folds them into windows)",
        options.telemetryMaxAgeMs ?? 7 * DAY_MS,
      ),
      max_bytes: options.telemetryMaxBytes ?? 1024 ** 3,
    },
    events: base(
      names.events,
      subjects.eventsAll,
      "Patinox finding and plan events",
      options.eventsMaxAgeMs ?? 30 * DAY_MS,
    ),
    jobs: {
      ...base(names.jobs, subjects.jobsAll, "Patinox durable jobs (work queue)", 0),
      retention: RetentionPolicy.Workqueue,
    },
    results: {
      ...base(
        names.results,
        subjects.resultsAll,
        "Patinox job results, the last one per run id",
        options.resultsMaxAgeMs ?? DAY_MS,
      ),
      max_msgs_per_subject: 1,
    },
    deadLetters: base(
      names.deadLetters,
      subjects.deadLettersAll,
      "Patinox dead letters: messages a consumer terminated, with the reason",
      options.deadLettersMaxAgeMs ?? 30 * DAY_MS,
    ),
  });
}
