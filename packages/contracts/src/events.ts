import { z } from "zod";
import { Finding, Plan, PlanStatus } from "./knowledge-records.ts";
import { EventId, SchemaVersion, Timestamp } from "./primitives.ts";

/** The kinds of loop event, each the `<kind>` token of `<prefix>.events.<kind>.<agent>`. */
export const EventKind = { Finding: "finding", Plan: "plan" } as const;

/** One of the {@link EventKind} values. */
export type EventKind = (typeof EventKind)[keyof typeof EventKind];

/** What happened to a finding. `changed` means a material change, never a mere new tick. */
export const FindingChange = {
  Opened: "opened",
  Changed: "changed",
  Resolved: "resolved",
} as const;

/** One of the {@link FindingChange} values. */
export type FindingChange = (typeof FindingChange)[keyof typeof FindingChange];

/** Published on `<prefix>.events.finding.<agent>` when a finding opens, materially changes or resolves. */
export const FindingEvent = z
  .object({
    v: SchemaVersion,
    /** Sent as `Nats-Msg-Id`. */
    id: EventId,
    at: Timestamp,
    event: z.enum(FindingChange),
    finding: Finding,
  })
  .describe("A finding opened, materially changed or resolved.");

/** Published on `<prefix>.events.finding.<agent>`. */
export type FindingEvent = z.output<typeof FindingEvent>;

/** What happened to a plan. */
export const PlanChange = {
  Created: "created",
  StatusChanged: "status_changed",
  Updated: "updated",
} as const;

/** One of the {@link PlanChange} values. */
export type PlanChange = (typeof PlanChange)[keyof typeof PlanChange];

/** Published on `<prefix>.events.plan.<agent>` when a plan is created, changes status or is updated. */
export const PlanEvent = z
  .object({
    v: SchemaVersion,
    /** Sent as `Nats-Msg-Id`. */
    id: EventId,
    at: Timestamp,
    event: z.enum(PlanChange),
    /** The status before, for `status_changed`. */
    previousStatus: z.enum(PlanStatus).optional(),
    plan: Plan,
  })
  .describe("A plan was created, changed status or was updated.");

/** Published on `<prefix>.events.plan.<agent>`. */
export type PlanEvent = z.output<typeof PlanEvent>;
