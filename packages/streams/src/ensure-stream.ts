import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from "@nats-io/jetstream";
import { PatinoxError } from "@patinox/contracts";
import type { PatinoxStreamConfig } from "./stream-configs.ts";

/** What {@link ensureStream} did. */
export type EnsureStreamAction = "created" | "updated" | "unchanged";

/** The outcome of {@link ensureStream}. */
export interface EnsuredStream {
  readonly action: EnsureStreamAction;
  readonly info: StreamInfo;
}

/** The server's "stream name already in use with a different configuration". */
const STREAM_NAME_IN_USE = 10058;

/** Fields the server refuses to change on an existing stream. */
const FIXED_FIELDS = ["retention", "storage"] as const;

/**
 * Creates the stream when it is missing and updates it only when a field Patinox sets differs;
 * otherwise leaves it alone. Safe when several processes start at once: a create that loses the
 * race re-reads the stream and updates it if needed.
 * @throws PatinoxError `config_invalid` when the existing stream differs in a field the server
 * cannot change (retention or storage); the stream must then be migrated by hand.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  config: PatinoxStreamConfig,
): Promise<EnsuredStream> {
  const existing = await streamInfo(jsm, config.name);
  if (existing === undefined) {
    try {
      // A copy: the client writes normalised fields into the object it is given.
      return { action: "created", info: await jsm.streams.add({ ...config }) };
    } catch (error) {
      // Another process created it first (with a different configuration, or the server would
      // have answered success): fall through to compare and update.
      if (!(error instanceof JetStreamApiError && error.code === STREAM_NAME_IN_USE)) throw error;
    }
  }
  const current = existing ?? (await jsm.streams.info(config.name));
  const changed = differingFields(current.config, config);
  if (changed.length === 0) return { action: "unchanged", info: current };
  const fixed = changed.filter((field) => (FIXED_FIELDS as readonly string[]).includes(field));
  if (fixed.length > 0) {
    throw new PatinoxError(
      "config_invalid",
      `stream ${config.name} exists with a different ${fixed.join(" and ")}; the server cannot change it in place`,
      { details: { stream: config.name, fields: fixed } },
    );
  }
  const { name, retention: _r, storage: _s, ...updatable } = config;
  return { action: "updated", info: await jsm.streams.update(name, updatable) };
}

/**
 * The fields of `wanted` whose value differs in `current` (subjects compared as sets).
 * Exported for tests and for callers that want to report drift without changing anything.
 */
export function differingFields(current: StreamConfig, wanted: PatinoxStreamConfig): string[] {
  const differs: string[] = [];
  for (const [field, value] of Object.entries(wanted)) {
    const have = (current as unknown as Record<string, unknown>)[field];
    if (field === "subjects") {
      const a = [...((have as string[] | undefined) ?? [])].sort();
      const b = [...(value as string[])].sort();
      if (a.length !== b.length || a.some((s, i) => s !== b[i])) differs.push(field);
    } else if (field === "description") {
      if ((have ?? "") !== value) differs.push(field);
    } else if (have !== value) {
      differs.push(field);
    }
  }
  return differs;
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) {
      return undefined;
    }
    throw error;
  }
}
