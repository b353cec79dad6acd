import { KnowledgeKeys, MetricWindow } from "@patinox/contracts";
import { type Knowledge, Unchanged } from "@patinox/knowledge";
import { emptyWindow, foldEvents, type SequencedEvent, type WindowAddress } from "./window-fold.ts";

/** The events of one batch that belong to one window. */
export interface WindowBatch {
  readonly address: WindowAddress;
  readonly events: SequencedEvent[];
}

/** What one {@link writeWindow} did. */
export interface WindowWrite {
  readonly key: string;
  /** Events newly counted (the rest were already in the window). */
  readonly folded: number;
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
  await knowledge.update(key, MetricWindow, (current): MetricWindow | typeof Unchanged => {
    const base = current ?? emptyWindow(batch.address, options.windowMs);
    const next = foldEvents(base, batch.events, options.source);
    if (next === undefined) {
      folded = 0;
      return Unchanged;
    }
    const floor = base.highWater[options.source] ?? 0;
    folded = new Set(batch.events.filter((e) => e.seq > floor).map((e) => e.seq)).size;
    return { ...next, updatedAt: new Date().toISOString() };
  });
  return { key, folded };
}

/** Groups sequenced events by window, keeping each group's events in sequence order. */
export function groupByWindow(
  events: ReadonlyArray<SequencedEvent & { readonly address: WindowAddress }>,
): WindowBatch[] {
  const groups = new Map<string, WindowBatch>();
  for (const item of events) {
    const id = `${item.address.agent}\u0000${item.address.windowStart}`;
    let group = groups.get(id);
    if (group === undefined) {
      group = { address: item.address, events: [] };
      groups.set(id, group);
    }
    group.events.push({ seq: item.seq, event: item.event });
  }
  return [...groups.values()];
}
