import type { JetStreamClient } from "@nats-io/jetstream";
import {
  encode,
  type Finding,
  type FindingEvent,
  Finding as FindingSchema,
  KnowledgeKeys,
  type Subjects,
} from "@patinox/contracts";
import type { FindingOutcome, HealthyOutcome } from "@patinox/detectors";
import { findingFingerprint } from "@patinox/detectors";
import { type Knowledge, Unchanged } from "@patinox/knowledge";
import type { Logger } from "@patinox/runtime";
import { type LifecycleContext, transition } from "./finding-lifecycle.ts";
import type { TraceSampler } from "./trace-sampler.ts";

type PendingEvent = NonNullable<Finding["pendingEvents"]>[number];

/** What {@link FindingStore.apply} did. */
export interface Applied {
  readonly written: boolean;
  /** The event this replica owes and published, if its write made a transition. */
  readonly event?: PendingEvent["event"];
}

/**
 * Findings in the knowledge bucket, and their events. A transition is written by
 * compare-and-set together with the event it owes (the record's `pendingEvents` outbox); only
 * the writer whose compare-and-set won publishes it, with `Nats-Msg-Id` = the event id, then
 * removes it from the outbox. {@link flushPending} republishes whatever a crash left owed
 * (entries older than a grace period, so it does not race the writer); the events stream's
 * duplicate window drops a second copy of the same id.
 */
export class FindingStore {
  readonly #knowledge: Knowledge;
  readonly #js: JetStreamClient;
  readonly #subjects: Subjects;
  readonly #logger: Logger;
  readonly #sampler: TraceSampler | undefined;

  constructor(options: {
    knowledge: Knowledge;
    js: JetStreamClient;
    subjects: Subjects;
    logger: Logger;
    /** Finds trace ids for a finding that opens; none without it. */
    sampler?: TraceSampler;
  }) {
    this.#knowledge = options.knowledge;
    this.#js = options.js;
    this.#subjects = options.subjects;
    this.#logger = options.logger;
    this.#sampler = options.sampler;
  }

  /** Moves the finding of one detector answer along its lifecycle, and publishes what it owes. */
  async apply(outcome: FindingOutcome | HealthyOutcome, ctx: LifecycleContext): Promise<Applied> {
    const fingerprint = findingFingerprint(outcome.kind, outcome.agent, outcome.target);
    const key = KnowledgeKeys.finding(outcome.agent, fingerprint);
    const samples = await this.#samplesIfOpening(key, outcome, ctx);
    const context = samples === undefined ? ctx : { ...ctx, sampleTraceIds: samples };
    let owed: PendingEvent | undefined;
    let written = false;
    const entry = await this.#knowledge.update(
      key,
      FindingSchema,
      (current): Finding | typeof Unchanged => {
        // May run several times on lost races: only the last run's decision was written.
        owed = undefined;
        written = false;
        const next = transition(current, outcome, context);
        if (!next.write) return Unchanged;
        written = true;
        owed = next.event === undefined ? undefined : next.finding.pendingEvents?.at(-1);
        return next.finding;
      },
    );
    if (!written || entry === undefined) return { written: false };
    if (owed === undefined) return { written: true };
    await this.#publish(entry.value, owed, "transition");
    return { written: true, event: owed.event };
  }

  /**
   * Trace samples for a finding answer that will open (or reopen) its finding: read before the
   * compare-and-set, since the change function must stay free of I/O.
   */
  async #samplesIfOpening(
    key: string,
    outcome: FindingOutcome | HealthyOutcome,
    ctx: LifecycleContext,
  ): Promise<string[] | undefined> {
    if (outcome.verdict !== "finding" || this.#sampler === undefined) return undefined;
    const current = await this.#knowledge.get(key, FindingSchema).catch(() => undefined);
    const finding = current?.value as Finding | undefined;
    const opening =
      finding === undefined || finding.status !== "open" || (finding.dryRun && !ctx.dryRun);
    return opening ? await this.#sampler.sample(outcome) : undefined;
  }

  /** Publishes every event owed by any finding (after a crash between write and publish). */
  async flushPending(now: number, graceMs: number): Promise<number> {
    let published = 0;
    for (const key of await this.#knowledge.keys(KnowledgeKeys.allFindings)) {
      let entry: Awaited<ReturnType<Knowledge["get"]>>;
      try {
        entry = await this.#knowledge.get(key, FindingSchema);
      } catch (error) {
        this.#logger.error({ key, err: error }, "skipping a finding record that fails its schema");
        continue;
      }
      const finding = entry?.value as Finding | undefined;
      for (const pending of finding?.pendingEvents ?? []) {
        if (finding === undefined) break;
        // A fresh entry is most likely being published by its writer right now.
        if (now - Date.parse(pending.at) < graceMs) continue;
        await this.#publish(finding, pending, "outbox");
        published++;
      }
    }
    return published;
  }

  /** `via`: the writer of the transition, or the outbox sweep after a crash (for the logs). */
  async #publish(
    finding: Finding,
    pending: PendingEvent,
    via: "transition" | "outbox",
  ): Promise<void> {
    const { pendingEvents: _, ...clean } = finding;
    const event: FindingEvent = {
      v: 1,
      id: pending.id,
      at: pending.at,
      event: pending.event,
      finding: clean,
    };
    const ack = await this.#js.publish(
      this.#subjects.events("finding", finding.agent),
      encode(event),
      {
        msgID: pending.id,
      },
    );
    this.#logger.info(
      {
        agent: finding.agent,
        fingerprint: finding.fingerprint,
        kind: finding.kind,
        event: pending.event,
        id: pending.id,
        via,
        duplicate: ack.duplicate,
      },
      `finding ${pending.event}`,
    );
    await this.#knowledge.update(
      KnowledgeKeys.finding(finding.agent, finding.fingerprint),
      FindingSchema,
      (current): Finding | typeof Unchanged => {
        if (!current?.pendingEvents?.some((p) => p.id === pending.id)) return Unchanged;
        const rest = current.pendingEvents.filter((p) => p.id !== pending.id);
        const { pendingEvents: _owed, ...without } = current;
        return rest.length > 0 ? { ...without, pendingEvents: rest } : without;
      },
    );
  }
}
