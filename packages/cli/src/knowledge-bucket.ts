import { JetStreamApiCodes, JetStreamApiError, jetstream } from "@nats-io/jetstream";
import { type KV, type KvEntry, Kvm, KvWatchInclude } from "@nats-io/kv";
import { type NatsConnection, TimeoutError } from "@nats-io/nats-core";
import { parseRecord } from "@patinox/contracts";
import { Knowledge, type KnowledgeStatus } from "@patinox/knowledge";
import type { z } from "zod";
import {
  BucketNotFound,
  JetStreamUnavailable,
  KeyNotFound,
  NatsRequestTimedOut,
  UsageError,
} from "./errors.ts";
import { decodeRecordValue, type RecordValue } from "./record-value.ts";

/** How long one JetStream API request (bucket info, a read) may take. */
const JETSTREAM_TIMEOUT_MS = 5_000;

/** Statistics of the knowledge bucket, as `status` shows them. */
export type BucketStats = KnowledgeStatus;

/** One revision of a key, decoded for display. */
export type KvRecord = {
  readonly key: string;
  readonly revision: number;
  /** When this revision was written (ISO 8601, UTC). */
  readonly created: string;
} & RecordValue;

/** One change seen by {@link watchRecords}. */
export type KvChange =
  | ({
      readonly kind: "put";
      readonly key: string;
      readonly revision: number;
      readonly created: string;
    } & RecordValue)
  | {
      readonly kind: "delete" | "purge";
      readonly key: string;
      readonly revision: number;
      readonly created: string;
    };

/** An open, existing knowledge bucket and its statistics. */
export interface OpenBucket {
  readonly kv: KV;
  readonly stats: BucketStats;
}

/**
 * Opens an existing bucket, never creating one: the CLI looks, and a bucket it created would
 * have the wrong settings. Reads the statistics on the way, which is also how a missing
 * bucket shows up ({@link BucketNotFound}) before any command relies on it.
 */
export async function openBucket(nc: NatsConnection, bucket: string): Promise<OpenBucket> {
  checkBucketName(bucket);
  return await translateJetStreamErrors(nc, bucket, async () => {
    const kv = await new Kvm(jetstream(nc, { timeout: JETSTREAM_TIMEOUT_MS })).open(bucket);
    return { kv, stats: await new Knowledge(kv, bucket).status() };
  });
}

/** The current value of `key`; {@link KeyNotFound} when it has none or was deleted. */
export async function getRecord(
  nc: NatsConnection,
  bucket: string,
  key: string,
): Promise<KvRecord> {
  checkKey(key, "key");
  const { kv } = await openBucket(nc, bucket);
  const entry = await translateJetStreamErrors(nc, bucket, () => kv.get(key));
  if (entry?.operation !== "PUT") throw new KeyNotFound(key, bucket);
  return {
    key: entry.key,
    revision: entry.revision,
    created: entry.created.toISOString(),
    ...decodeRecordValue(entry.value),
  };
}

/** Keys matching `filter` (`>` is every key, `metrics.*.>` a subtree), sorted. */
export async function listKeys(
  nc: NatsConnection,
  bucket: string,
  filter = ">",
): Promise<string[]> {
  checkKey(filter, "filter");
  const { kv } = await openBucket(nc, bucket);
  return await translateJetStreamErrors(nc, bucket, async () => {
    const keys: string[] = [];
    for await (const key of await kv.keys(filter)) keys.push(key);
    return keys.sort();
  });
}

/** Options for {@link watchRecords}. */
export interface WatchOptions {
  /** Ends the watch (Ctrl-C). */
  readonly signal?: AbortSignal | undefined;
  /** Skip the current values and show only changes from now on. @default false */
  readonly updatesOnly?: boolean | undefined;
}

/**
 * Streams changes to keys matching `filter`: first the current value of each key (unless
 * `updatesOnly`), then every put, delete and purge, until `signal` aborts or the connection
 * closes. The caller tells the two apart with `signal.aborted`.
 */
export async function* watchRecords(
  nc: NatsConnection,
  bucket: string,
  filter: string,
  options: WatchOptions = {},
): AsyncGenerator<KvChange> {
  checkKey(filter, "filter");
  const { kv } = await openBucket(nc, bucket);
  if (options.signal?.aborted) return;
  const iterator = await translateJetStreamErrors(nc, bucket, () =>
    kv.watch({
      key: filter,
      include: options.updatesOnly ? KvWatchInclude.UpdatesOnly : KvWatchInclude.LastValue,
    }),
  );
  const stop = () => iterator.stop();
  options.signal?.addEventListener("abort", stop, { once: true });
  // The watch iterator does not end by itself when the connection goes; end it so the
  // caller can report the lost connection instead of waiting forever.
  void nc.closed().then(stop);
  try {
    for await (const entry of iterator) yield toChange(entry);
  } finally {
    options.signal?.removeEventListener("abort", stop);
    iterator.stop();
  }
}

function toChange(entry: KvEntry): KvChange {
  const base = { key: entry.key, revision: entry.revision, created: entry.created.toISOString() };
  if (entry.operation === "PUT") return { kind: "put", ...base, ...decodeRecordValue(entry.value) };
  return { kind: entry.operation === "DEL" ? "delete" : "purge", ...base };
}

const KEY_TOKEN = /^[-/=\w]+$/;

/**
 * Checks a key (or, with wildcards, a filter) against the KV key grammar before it reaches
 * the server, so a typo is a usage error rather than an obscure JetStream one.
 */
export function checkKey(key: string, what: "key" | "filter"): void {
  const tokens = key.split(".");
  const valid = tokens.every((token, index) => {
    if (what === "filter" && token === "*") return true;
    if (what === "filter" && token === ">") return index === tokens.length - 1;
    return KEY_TOKEN.test(token);
  });
  if (!valid) {
    const grammar =
      what === "key"
        ? "dot-separated tokens of letters, digits, -, /, = or _"
        : "dot-separated tokens of letters, digits, -, /, = or _, with * for one token or a final > for the rest";
    throw new UsageError(`invalid ${what} "${key}": expected ${grammar}`);
  }
}

function checkBucketName(bucket: string): void {
  if (!/^[-\w]+$/.test(bucket)) {
    throw new UsageError(`invalid bucket name "${bucket}": expected letters, digits, _ or -`);
  }
}

/** Turns the JetStream client's errors into the CLI's explained ones. */
async function translateJetStreamErrors<T>(
  nc: NatsConnection,
  bucket: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) {
      throw new BucketNotFound(bucket, { cause: error });
    }
    // The client does not export JetStreamNotEnabled, so it is known by its name.
    if (error instanceof Error && error.name === "JetStreamNotEnabled") {
      throw new JetStreamUnavailable(nc.getServer(), { cause: error });
    }
    if (error instanceof TimeoutError) {
      throw new NatsRequestTimedOut(`knowledge bucket ${bucket}`, { cause: error });
    }
    throw error;
  }
}

/** Every readable record under `filter`, by sorted key; the keys of unreadable ones apart. */
export async function readRecords<S extends z.ZodType>(
  nc: NatsConnection,
  bucket: string,
  filter: string,
  schema: S,
): Promise<{ records: z.output<S>[]; invalid: string[] }> {
  const { kv } = await openBucket(nc, bucket);
  const records: z.output<S>[] = [];
  const invalid: string[] = [];
  const keys: string[] = [];
  for await (const key of await kv.keys(filter)) keys.push(key);
  for (const key of keys.sort()) {
    const entry = await kv.get(key);
    if (entry?.operation !== "PUT") continue;
    const parsed = parseRecord(schema, key, entry.value);
    if (parsed.ok) records.push(parsed.value);
    else invalid.push(key);
  }
  return { records, invalid };
}
