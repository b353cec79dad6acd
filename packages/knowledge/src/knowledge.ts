import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { type KV, type KvEntry, Kvm, type KvWatchEntry } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { encode, PatinoxError, parseRecord } from "@patinox/contracts";
import type { z } from "zod";

/** Options for {@link openKnowledge}. */
export interface KnowledgeOptions {
  /** Bucket name. @default "patinox" */
  readonly bucket?: string;
  /** Stream replicas when the bucket is created (3 on a production cluster). @default 1 */
  readonly replicas?: number;
  /** Revisions kept per key: the audit trail. At least 10. @default 10 */
  readonly history?: number;
  /** Compare-and-set attempts in {@link Knowledge.update} before it reports a conflict. @default 16 */
  readonly maxUpdateAttempts?: number;
  /** Whether a missing bucket is created (otherwise opening it fails). @default true */
  readonly create?: boolean;
}

/** A decoded record with the revision it was read at. */
export interface KnowledgeEntry<T> {
  readonly key: string;
  readonly revision: number;
  readonly value: T;
  readonly created: Date;
}

/** One change seen by {@link Knowledge.watch}. */
export type KnowledgeChange<T> =
  | { readonly kind: "put"; readonly key: string; readonly revision: number; readonly value: T }
  | { readonly kind: "delete"; readonly key: string; readonly revision: number }
  | {
      readonly kind: "invalid";
      readonly key: string;
      readonly revision: number;
      readonly error: PatinoxError;
    };

/** What {@link Knowledge.update}'s function returns to leave the record as it is. */
export const Unchanged: unique symbol = Symbol("knowledge.unchanged");

/** Bucket statistics for status displays. */
export interface KnowledgeStatus {
  readonly bucket: string;
  readonly values: number;
  readonly bytes: number;
  readonly history: number;
  readonly replicas: number;
  readonly storage: string;
}

const MIN_HISTORY = 10;

/**
 * Opens (and by default creates) the knowledge bucket: file storage, history ≥ 10.
 * Creation is idempotent, so every service may call it at start.
 */
export async function openKnowledge(
  nc: NatsConnection,
  options: KnowledgeOptions = {},
): Promise<Knowledge> {
  const bucket = options.bucket ?? "patinox";
  const kvm = new Kvm(nc);
  const kv =
    options.create === false
      ? await kvm.open(bucket, { bindOnly: true })
      : await kvm.create(bucket, {
          history: Math.max(MIN_HISTORY, options.history ?? MIN_HISTORY),
          replicas: options.replicas ?? 1,
          storage: "file",
        });
  if (options.create === false) await kv.status(); // bindOnly does not look: fail here, not later
  return new Knowledge(kv, bucket, options.maxUpdateAttempts ?? 16);
}

/**
 * Typed access to the knowledge bucket. Every read is checked against the record's schema
 * (a bad record is a `record_invalid` error, never a crash) and every racing write is a
 * compare-and-set on the key's revision.
 */
export class Knowledge {
  readonly bucket: string;
  readonly #kv: KV;
  readonly #maxAttempts: number;

  /** Wraps an open bucket; prefer {@link openKnowledge}. */
  constructor(kv: KV, bucket: string, maxUpdateAttempts = 16) {
    this.#kv = kv;
    this.bucket = bucket;
    this.#maxAttempts = maxUpdateAttempts;
  }

  /** Reads a record; `undefined` when absent or deleted. Throws `record_invalid` on a bad record. */
  async get<S extends z.ZodType>(
    key: string,
    schema: S,
  ): Promise<KnowledgeEntry<z.output<S>> | undefined> {
    const entry = await this.#kv.get(key);
    if (entry?.operation !== "PUT") return undefined;
    return decode(entry, schema);
  }

  /** Writes a record unconditionally (last writer wins). Use only where no write can race. */
  async put<S extends z.ZodType>(
    key: string,
    schema: S,
    value: NoInfer<z.input<S>>,
  ): Promise<number> {
    return await this.#kv.put(key, encodeRecord(key, schema, value));
  }

  /** Creates a record; fails with `conflict` if the key already holds one. */
  async create<S extends z.ZodType>(
    key: string,
    schema: S,
    value: NoInfer<z.input<S>>,
  ): Promise<number> {
    try {
      return await this.#kv.create(key, encodeRecord(key, schema, value));
    } catch (error) {
      if (isWrongRevision(error)) {
        throw new PatinoxError("conflict", `knowledge key ${key} already exists`, { cause: error });
      }
      throw error;
    }
  }

  /**
   * Compare-and-set: reads the record, applies `change`, and writes only if nobody wrote in
   * between; on a lost race it re-reads and tries again, up to the configured attempts, then
   * fails with `conflict`. `change` may run several times, so it must be a pure function of
   * its input. Returning {@link Unchanged} skips the write (e.g. an event already applied).
   * Give `change` an explicit return type (`(current): MetricWindow => …`): TypeScript does
   * not keep literal fields such as `v: 1` when it infers through the schema.
   */
  async update<S extends z.ZodType>(
    key: string,
    schema: S,
    change: (current: NoInfer<z.output<S>> | undefined) => NoInfer<z.input<S>> | typeof Unchanged,
  ): Promise<KnowledgeEntry<z.output<S>> | undefined> {
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      const raw = await this.#kv.get(key);
      const current = raw && raw.operation === "PUT" ? decode(raw, schema) : undefined;
      const next = change(current?.value);
      if (next === Unchanged) return current;
      const data = encodeRecord(key, schema, next);
      try {
        const revision = raw
          ? await this.#kv.update(key, data, raw.revision)
          : await this.#kv.create(key, data);
        return { key, revision, value: schema.parse(next) as z.output<S>, created: new Date() };
      } catch (error) {
        if (!isWrongRevision(error)) throw error;
        // Lost the race: back off a little (jittered, growing) so contenders spread out.
        await sleep(Math.random() * Math.min(100, 2 ** attempt));
      }
    }
    throw new PatinoxError(
      "conflict",
      `knowledge key ${key}: compare-and-set lost ${this.#maxAttempts} times`,
      {
        details: { key, attempts: this.#maxAttempts },
      },
    );
  }

  /** Deletes a record (a soft delete: history keeps it). With `revision`, only if unchanged. */
  async delete(key: string, options: { revision?: number } = {}): Promise<void> {
    try {
      await this.#kv.delete(
        key,
        options.revision === undefined ? {} : { previousSeq: options.revision },
      );
    } catch (error) {
      if (isWrongRevision(error)) {
        throw new PatinoxError("conflict", `knowledge key ${key} changed before delete`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * Removes a record and every kept revision of it (a purge marker stays in place of the
   * history), for records that are done with, such as a past hour's counter.
   */
  async purge(key: string): Promise<void> {
    await this.#kv.purge(key);
  }

  /** Keys matching a filter such as `metrics.<agent>.>`, sorted. */
  async keys(filter = ">"): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of await this.#kv.keys(filter)) keys.push(key);
    return keys.sort();
  }

  /** Every kept revision of a key, oldest first; bad revisions come back as `invalid`. */
  async history<S extends z.ZodType>(
    key: string,
    schema: S,
  ): Promise<KnowledgeChange<z.output<S>>[]> {
    const changes: KnowledgeChange<z.output<S>>[] = [];
    const iterator = await this.#kv.history({ key });
    for await (const entry of iterator) changes.push(toChange(entry, schema));
    return changes;
  }

  /**
   * Watches keys matching `filter`: first the current values, then every change. Records that
   * fail the schema arrive as `invalid` changes so a watcher can report them and go on.
   * Stop with `signal` or by breaking out of the loop.
   */
  async *watch<S extends z.ZodType>(
    filter: string,
    schema: S,
    options: { signal?: AbortSignal; updatesOnly?: boolean } = {},
  ): AsyncGenerator<KnowledgeChange<z.output<S>>> {
    const iterator = await this.#kv.watch({
      key: filter,
      ...(options.updatesOnly ? { include: "updates" } : {}),
    });
    const stop = () => iterator.stop();
    // An abort before this point fires no event: stop now rather than wait for a change.
    if (options.signal?.aborted) stop();
    options.signal?.addEventListener("abort", stop, { once: true });
    try {
      for await (const entry of iterator) yield toChange(entry, schema);
    } finally {
      options.signal?.removeEventListener("abort", stop);
      iterator.stop();
    }
  }

  /** Bucket statistics. */
  async status(): Promise<KnowledgeStatus> {
    const status = await this.#kv.status();
    return {
      bucket: this.bucket,
      values: status.values,
      bytes: status.size,
      history: status.history,
      replicas: status.replicas,
      storage: String(status.storage),
    };
  }
}

function decode<S extends z.ZodType>(entry: KvEntry, schema: S): KnowledgeEntry<z.output<S>> {
  const parsed = parseRecord(schema, entry.key, entry.value);
  if (!parsed.ok) throw parsed.error;
  return { key: entry.key, revision: entry.revision, value: parsed.value, created: entry.created };
}

function toChange<S extends z.ZodType>(
  entry: KvWatchEntry,
  schema: S,
): KnowledgeChange<z.output<S>> {
  if (entry.operation !== "PUT")
    return { kind: "delete", key: entry.key, revision: entry.revision };
  const parsed = parseRecord(schema, entry.key, entry.value);
  return parsed.ok
    ? { kind: "put", key: entry.key, revision: entry.revision, value: parsed.value }
    : { kind: "invalid", key: entry.key, revision: entry.revision, error: parsed.error };
}

/** Refuses to write what the record's own schema would refuse to read. */
function encodeRecord<S extends z.ZodType>(key: string, schema: S, value: unknown): Uint8Array {
  const checked = schema.safeParse(value);
  if (!checked.success) {
    throw new PatinoxError("record_invalid", `refusing to write an invalid record to ${key}`, {
      details: {
        key,
        issues: checked.error.issues.slice(0, 10).map((i) => `${i.path.join(".")}: ${i.message}`),
      },
    });
  }
  return encode(value);
}

function isWrongRevision(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
