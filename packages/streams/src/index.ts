/**
 * The JetStream streams of a Patinox installation: their configurations (2.9.10-compatible),
 * a race-safe create-or-update, and the dead-letter sink every consumer uses.
 * @packageDocumentation
 */

export type { DeadLetterSinkOptions } from "./dead-letters.ts";
export { DeadLetterSink, deadLetterMsgId } from "./dead-letters.ts";
export type { EnsuredStream, EnsureStreamAction } from "./ensure-stream.ts";
export { differingFields, ensureStream } from "./ensure-stream.ts";
export type {
  InstallationStreams,
  InstallationStreamsOptions,
  PatinoxStreamConfig,
} from "./stream-configs.ts";
export { DUPLICATE_WINDOW_MS, installationStreams } from "./stream-configs.ts";
