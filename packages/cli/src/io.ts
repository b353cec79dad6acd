import type { Environment } from "@patinox/runtime";

/** Somewhere text goes: `process.stdout`, or a buffer in a test. */
export interface TextSink {
  write(text: string): unknown;
}

/**
 * Everything a command touches outside NATS, injected once so a test can run the whole CLI
 * in-process: where output goes, the environment it reads, and the Ctrl-C signal.
 */
export interface CliIo {
  /** Results: tables, JSON documents, JSON lines. */
  readonly stdout: TextSink;
  /** Diagnostics: errors and hints, never results. */
  readonly stderr: TextSink;
  /** Variables read for configuration (`NATS_URL`, `PATINOX_BUCKET`…). */
  readonly env: Environment;
  /** Aborted on Ctrl-C: ends `kv watch` cleanly and cuts any other command short. */
  readonly signal?: AbortSignal;
  /** The clock uptimes are measured against. @default () => new Date() */
  readonly now?: () => Date;
}
