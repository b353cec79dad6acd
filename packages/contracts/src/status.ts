import { z } from "zod";
import { NameToken } from "./name-token.ts";
import { Count, DurationMs, Label, SchemaVersion, Timestamp } from "./primitives.ts";

/** Whether an actor supervises others or does work. */
export const ActorKind = { Supervisor: "supervisor", Actor: "actor" } as const;

/** One of the {@link ActorKind} values. */
export type ActorKind = (typeof ActorKind)[keyof typeof ActorKind];

/** The lifecycle state of an actor. */
export const ActorState = {
  Starting: "starting",
  Running: "running",
  Restarting: "restarting",
  Stopping: "stopping",
  Stopped: "stopped",
  Failed: "failed",
} as const;

/** One of the {@link ActorState} values. */
export type ActorState = (typeof ActorState)[keyof typeof ActorState];

/** One actor in a service's supervision tree. */
export interface ActorNode {
  readonly name: string;
  readonly kind: ActorKind;
  readonly state: ActorState;
  /** Times the parent restarted this node. */
  readonly restarts: number;
  /** Messages waiting and the mailbox's bound. */
  readonly mailbox?: { readonly depth: number; readonly capacity: number } | undefined;
  /** Present on supervisors, in start order. */
  readonly children?: readonly ActorNode[] | undefined;
}

/** Schema of one actor in a supervision tree (recursive through `children`). */
export const ActorNode: z.ZodType<ActorNode, ActorNode> = z
  .object({
    name: Label,
    kind: z.enum(ActorKind),
    state: z.enum(ActorState),
    restarts: Count,
    mailbox: z.object({ depth: Count, capacity: Count }).optional(),
    get children() {
      return z.array(ActorNode).max(1000).optional();
    },
  })
  .meta({ id: "ActorNode" });

/** Request on `<prefix>.svc.<service>.status`. */
export const StatusRequest = z
  .strictObject({ v: SchemaVersion })
  .describe("Ask a service instance for its status.");

/** Request on `<prefix>.svc.<service>.status`. */
export type StatusRequest = z.output<typeof StatusRequest>;

/** One readiness check of a service instance (NATS connected, consumer healthy…). */
export const StatusCheck = z.object({
  name: Label,
  ok: z.boolean(),
  detail: z.string().max(500).optional(),
});

/** One readiness check of a service instance. */
export type StatusCheck = z.output<typeof StatusCheck>;

/**
 * Reply on `<prefix>.svc.<service>.status`. Every instance answers (no queue group), so a
 * scatter-gather request sees them all and a plain request gets the first.
 */
export const StatusReply = z
  .object({
    v: SchemaVersion,
    service: NameToken,
    instanceId: Label,
    /** The service's release version. */
    version: z.string().min(1).max(64),
    startedAt: Timestamp,
    uptimeMs: DurationMs,
    /** Whether every check passes (the same answer as `/readyz`). */
    ready: z.boolean(),
    /** The individual checks behind `ready`, when the service reports them. */
    checks: z.array(StatusCheck).max(100).optional(),
    /** The root of the supervision tree. */
    actors: ActorNode,
    /** Name of the knowledge bucket (JetStream KV) the service uses. */
    bucket: NameToken,
  })
  .describe("A service instance's health: version, uptime, readiness, actor tree.");

/** Reply on `<prefix>.svc.<service>.status`. */
export type StatusReply = z.output<typeof StatusReply>;
