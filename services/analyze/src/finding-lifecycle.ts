import { type Finding, FindingChange, FindingStatus } from "@patinox/contracts";
import { type FindingOutcome, findingFingerprint, type HealthyOutcome } from "@patinox/detectors";

/** How a finding record moves on one detector answer. */
export interface LifecycleContext {
  /** Epoch ms of the evaluation. */
  readonly now: number;
  /** K: healthy windows in a row that resolve an open finding. */
  readonly resolveAfter: number;
  /** The detector is in dry-run: record what it would raise, owe no event. */
  readonly dryRun: boolean;
  /** Trace ids that show the problem, for a finding that opens. @default none */
  readonly sampleTraceIds?: readonly string[];
}

/** The record to write and the event it owes, or nothing to write. */
export type Transition =
  | { readonly write: false }
  | { readonly write: true; readonly finding: Finding; readonly event?: FindingChange };

const NOTHING: Transition = { write: false };

/**
 * The finding lifecycle as a pure function of the stored record and one answer:
 * - a finding answer opens a finding (or reopens a resolved one): event `opened`;
 * - on an open finding it refreshes the evidence once per new window and resets the healthy
 *   streak; a change of severity is the one material change: event `changed`;
 * - a healthy answer about a window newer than any counted before adds one to the streak, and
 *   the K-th healthy window in a row resolves it: event `resolved` (hysteresis);
 * - everything else (same window again, healthy with nothing open) writes nothing.
 * A dry-run detector's findings are marked `dryRun` and owe no event; when the detector goes
 * live, its open dry-run finding is opened for real.
 */
export function transition(
  current: Finding | undefined,
  outcome: FindingOutcome | HealthyOutcome,
  ctx: LifecycleContext,
): Transition {
  const open = current !== undefined && current.status === FindingStatus.Open;
  if (outcome.verdict === "finding") {
    if (!open || (current.dryRun && !ctx.dryRun)) return opened(outcome, ctx);
    const newestSeen = Math.max(...current.evidence.windows, -1);
    const sameWindow = outcome.throughWindow !== undefined && outcome.throughWindow <= newestSeen;
    const severityChanged = outcome.severity !== current.severity;
    if (sameWindow && !severityChanged && current.healthyStreak === 0) return NOTHING;
    const { healthyThrough: _, ...rest } = current;
    return withEvent(
      {
        ...rest,
        severity: outcome.severity,
        confidence: outcome.confidence,
        evidence: evidenceOf(outcome),
        lastSeen: iso(ctx.now),
        healthyStreak: 0,
      },
      severityChanged && !current.dryRun ? FindingChange.Changed : undefined,
      ctx,
    );
  }
  if (!open) return NOTHING;
  const through = outcome.throughWindow;
  if (through === undefined) return NOTHING;
  const newestSeen = Math.max(...current.evidence.windows, -1);
  if (through <= newestSeen || through <= (current.healthyThrough ?? -1)) return NOTHING;
  const streak = current.healthyStreak + 1;
  if (streak < ctx.resolveAfter) {
    return { write: true, finding: { ...current, healthyStreak: streak, healthyThrough: through } };
  }
  return withEvent(
    {
      ...current,
      status: FindingStatus.Resolved,
      healthyStreak: streak,
      healthyThrough: through,
      resolvedAt: iso(ctx.now),
    },
    current.dryRun ? undefined : FindingChange.Resolved,
    ctx,
  );
}

function opened(outcome: FindingOutcome, ctx: LifecycleContext): Transition {
  const finding: Finding = {
    v: 1,
    fingerprint: findingFingerprint(outcome.kind, outcome.agent, outcome.target),
    kind: outcome.kind,
    agent: outcome.agent,
    ...(outcome.target === undefined ? {} : { target: outcome.target }),
    status: FindingStatus.Open,
    severity: outcome.severity,
    confidence: outcome.confidence,
    evidence: evidenceOf(outcome),
    sampleTraceIds: [...(ctx.sampleTraceIds ?? [])].slice(0, 20),
    firstSeen: iso(ctx.now),
    lastSeen: iso(ctx.now),
    healthyStreak: 0,
    dryRun: ctx.dryRun,
  };
  return withEvent(finding, ctx.dryRun ? undefined : FindingChange.Opened, ctx);
}

/** Appends the owed event to the record's outbox, so it is written with the transition. */
function withEvent(
  finding: Finding,
  event: FindingChange | undefined,
  ctx: LifecycleContext,
): Transition {
  if (event === undefined) return { write: true, finding };
  const pending = {
    id: findingEventId(finding.fingerprint, event, ctx.now),
    event,
    at: iso(ctx.now),
  };
  // The outbox is bounded by the schema; the oldest owed events go first if it ever fills.
  const pendingEvents = [...(finding.pendingEvents ?? []), pending].slice(-10);
  return { write: true, finding: { ...finding, pendingEvents }, event };
}

/** The `Nats-Msg-Id` of a finding event: the same transition always gets the same id. */
export function findingEventId(fingerprint: string, event: FindingChange, at: number): string {
  return `finding:${fingerprint}:${event}:${at}`;
}

function evidenceOf(outcome: FindingOutcome): Finding["evidence"] {
  return {
    numbers: { ...outcome.evidence.numbers },
    windows: [...outcome.evidence.windows],
    ...(outcome.evidence.baselineWindows === undefined
      ? {}
      : { baselineWindows: [...outcome.evidence.baselineWindows] }),
    test: outcome.evidence.test,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
