import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { encode, KnowledgeKeys, MetricWindow } from "@patinox/contracts";
import { type Knowledge, Unchanged } from "@patinox/knowledge";
import { emptyWindow, foldEvents, type SequencedEvent, type WindowAddress } from "./window-fold.ts";

/** The events of one batch that belong to one window. */
export interface WindowBatch {
  readonly address: WindowAddress;
  readonly events: readonly SequencedEvent[];
}

/** What one {@link writeWindow} did. */
export interface WindowWrite {
  readonly key: string;
  /** Events newly counted (the rest were already in the window). */
  readonly folded: number;
  /** The window as written or found, with its revision (absent when it never existed). */
  readonly entry?: { readonly revision: number; readonly value: MetricWindow };
}

/**
 * Folds a batch into its window in the knowledge bucket with compare-and-set: read the window,
 * fold the events above its high-water mark, write it only if nobody wrote in between (else
 * re-read and fold again). Events already counted are skipped, so writing the same batch twice
 * changes nothing.
 */
export async function writeWindow(
  knowledge: Knowledge,
  batch: WindowBatch,
  options: { readonly windowMs: number; readonly source: string },
): Promise<WindowWrite> {
  const key = KnowledgeKeys.metricsWindow(batch.address.agent, batch.address.windowStart);
  let folded = 0;
  const entry = await knowledge.update(
    key,
    MetricWindow,
    (current): MetricWindow | typeof Unchanged => {
      const base = current ?? emptyWindow(batch.address, options.windowMs);
      const next = foldEvents(base, batch.events, options.source);
      if (next === undefined) {
        folded = 0;
        return Unchanged;
      }
      const floor = base.highWater[options.source] ?? 0;
      folded = new Set(batch.events.filter((e) => e.seq > floor).map((e) => e.seq)).size;
      return { ...next, updatedAt: new Date().toISOString() };
    },
  );
  return entry === undefined
    ? { key, folded }
    : { key, folded, entry: { revision: entry.revision, value: entry.value } };
}

/** Most windows whose last write is remembered; beyond it the memory starts again. */
const MAX_CACHED_WINDOWS = 10_000;

/**
 * Writes batches into windows like {@link writeWindow}, remembering each window it wrote and
 * its revision: the intake is the only writer while it holds the lease, so the next write to a
 * window is a compare-and-set on the remembered revision without reading it first. If someone
 * else wrote in between (a revision mismatch), the memory of that window is dropped and the
 * write falls back to read-fold-write.
 */
export class WindowStore {
  readonly #kv: KV;
  readonly #knowledge: Knowledge;
  readonly #windowMs: number;
  readonly #source: string;
  readonly #known = new Map<string, { revision: number; window: MetricWindow }>();

  constructor(options: {
    readonly kv: KV;
    readonly knowledge: Knowledge;
    readonly windowMs: number;
    readonly source: string;
  }) {
    this.#kv = options.kv;
    this.#knowledge = options.knowledge;
    this.#windowMs = options.windowMs;
    this.#source = options.source;
  }

  /** Forgets every remembered window (on losing the lease, after a purge). */
  forget(): void {
    this.#known.clear();
  }

  /** Folds `batch` into its window durably; returns how many events were new to it. */
  async write(batch: WindowBatch): Promise<WindowWrite> {
    const key = KnowledgeKeys.metricsWindow(batch.address.agent, batch.address.windowStart);
    const known = this.#known.get(key);
    if (known !== undefined) {
      const floor = known.window.highWater[this.#source] ?? 0;
      const next = foldEvents(known.window, batch.events, this.#source);
      if (next === undefined) return { key, folded: 0 };
      // Not validated again here: `foldEvents` of a valid window is a valid window (a property
      // test checks it for every event kind), and a zod pass over a window with its histogram
      // cost ~0.2 ms, once per window per batch.
      const record = { ...next, updatedAt: new Date().toISOString() };
      try {
        const revision = await this.#kv.update(key, encode(record), known.revision);
        this.#remember(key, revision, record);
        return { key, folded: countAbove(batch, floor) };
      } catch (error) {
        if (!isWrongRevision(error)) throw error;
        this.#known.delete(key); // someone else wrote it: read it back below
      }
    }
    const result = await writeWindow(this.#knowledge, batch, {
      windowMs: this.#windowMs,
      source: this.#source,
    });
    if (result.entry !== undefined) this.#remember(key, result.entry.revision, result.entry.value);
    return { key, folded: result.folded };
  }

  #remember(key: string, revision: number, window: MetricWindow): void {
    if (this.#known.size >= MAX_CACHED_WINDOWS) this.#known.clear();
    this.#known.set(key, { revision, window });
  }
}

function countAbove(batch: WindowBatch, floor: number): number {
  return new Set(batch.events.filter((e) => e.seq > floor).map((e) => e.seq)).size;
}

function isWrongRevision(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/**
 * Groups sequenced events by window, keeping each group's events in sequence order. The items
 * themselves go into the groups (no copy per event), so a caller's own fields come along.
 */
export function groupByWindow<E extends SequencedEvent & { readonly address: WindowAddress }>(
  events: readonly E[],
): Array<WindowBatch & { readonly events: E[] }> {
  const groups = new Map<string, WindowBatch & { readonly events: E[] }>();
  for (const item of events) {
    const id = `${item.address.agent}\u0000${item.address.windowStart}`;
    let group = groups.get(id);
    if (group === undefined) {
      group = { address: item.address, events: [] };
      groups.set(id, group);
    }
    group.events.push(item);
  }
  return [...groups.values()];
}
