import {
  createSubjects,
  DEFAULT_PREFIX,
  KnowledgeKeys,
  PATINOX_SERVICES,
  type PatinoxServiceName,
  streamNames,
} from "@patinox/contracts";

/** Which installation the permissions are for: its subject prefix and knowledge bucket. */
export interface NatsInstallation {
  readonly prefix: string;
  readonly bucket: string;
}

/** The default installation: prefix `patinox`, bucket `patinox`. */
export const DEFAULT_INSTALLATION: NatsInstallation = { prefix: DEFAULT_PREFIX, bucket: "patinox" };

/** Allowed and denied subjects for publishing or subscribing. On nats-server, deny wins. */
export interface SubjectRules {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

/** One NATS user's permissions, as nats-server's `permissions` block. */
export interface UserPermissions {
  readonly publish: SubjectRules;
  readonly subscribe: SubjectRules;
  /** Whether the user may publish to the reply subject of a request it received. */
  readonly allowResponses: boolean;
}

/**
 * A Patinox NATS user: one per service, publishers (clients that run agents), operators (the
 * `patinox` CLI: apply agent definitions, read the knowledge, ask for status), tool services
 * (`serveTool`) and the setup Job that creates the bucket and streams.
 */
export type NatsRole =
  | PatinoxServiceName
  | "publisher"
  | "submitter"
  | "operator"
  | "tool"
  | "setup";

/** Every role, in the order the configuration lists them. */
export const NATS_ROLES: readonly NatsRole[] = [
  ...PATINOX_SERVICES,
  "publisher",
  "submitter",
  "operator",
  "tool",
  "setup",
];

/**
 * The inbox prefix a publisher must connect with (`inboxPrefix` in nats.js, `--inbox-prefix`
 * in the nats CLI). Publishers may subscribe only under it, so they cannot read the replies
 * sent to services or to other users' `_INBOX.` subscriptions.
 */
export const PUBLISHER_INBOX_PREFIX = "_INBOX_publisher";

/** The inbox prefix a job submitter must connect with (see {@link PUBLISHER_INBOX_PREFIX}). */
export const SUBMITTER_INBOX_PREFIX = "_INBOX_submitter";

/** Knowledge key patterns each service may write (`$KV.<bucket>.<key>`); nothing else. */
export const KNOWLEDGE_WRITES: Record<PatinoxServiceName, readonly string[]> = {
  // Shared breakers, rate limits and budgets of the runs it executes.
  execute: ["breakers.>", "ratelimits.>", "budgets.>"],
  // Windows, and the intake lease (the only service that holds leases today).
  monitor: [KnowledgeKeys.allMetrics, KnowledgeKeys.leasesOf("monitor")],
  analyze: [KnowledgeKeys.allFindings, KnowledgeKeys.allEvolution],
  // Plans, and an agent's definition when a merged change is applied (`applyOnMerge`).
  plan: [KnowledgeKeys.allPlans, KnowledgeKeys.allAgentConfigs],
};

/** Every top-level knowledge key family, for the explicit denies that document intent. */
export const KNOWLEDGE_FAMILIES = [
  KnowledgeKeys.allAgentConfigs,
  KnowledgeKeys.allMetrics,
  KnowledgeKeys.allFindings,
  KnowledgeKeys.allPlans,
  KnowledgeKeys.allEvolution,
  "breakers.>",
  "ratelimits.>",
  "budgets.>",
  "leases.>",
] as const;

/** Streams (by field of `streamNames`) each service writes into and may create or update. */
export const STREAM_WRITES: Record<
  PatinoxServiceName,
  ReadonlyArray<keyof ReturnType<typeof streamNames>>
> = {
  execute: ["telemetry", "jobs", "results", "deadLetters"],
  monitor: ["telemetry", "deadLetters"],
  analyze: ["events", "deadLetters"],
  plan: ["events", "deadLetters"],
};

/** Streams each service only reads, through ordered consumers (Analyze samples traces from telemetry). */
export const STREAM_READS: Record<
  PatinoxServiceName,
  ReadonlyArray<keyof ReturnType<typeof streamNames>>
> = {
  execute: [],
  monitor: [],
  analyze: ["telemetry"],
  plan: [],
};

/** The durable consumers each service reads through: stream field and consumer name. */
export const CONSUMERS: Record<
  PatinoxServiceName,
  ReadonlyArray<{ stream: keyof ReturnType<typeof streamNames>; durable: string }>
> = {
  execute: [{ stream: "jobs", durable: "execute" }],
  monitor: [{ stream: "telemetry", durable: "monitor" }],
  analyze: [],
  plan: [{ stream: "events", durable: "plan" }],
};

/** JetStream API subjects that create, read and update one stream (never delete or purge it). */
function streamApi(stream: string): string[] {
  return [
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.STREAM.CREATE.${stream}`,
    `$JS.API.STREAM.UPDATE.${stream}`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
  ];
}

/** JetStream API subjects for ephemeral and ordered consumers on a stream (KV watches, lookups). */
function orderedConsumerApi(stream: string): string[] {
  return [
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.INFO.${stream}.*`,
    `$JS.API.CONSUMER.DELETE.${stream}.*`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.*`,
    // Flow-control answers of push consumers.
    `$JS.FC.${stream}.>`,
  ];
}

/**
 * Denies touching the durable consumers of other services: an ordered consumer's grants
 * (`MSG.NEXT.<stream>.*`) would otherwise reach them too, and pulling from another service's
 * durable would take its messages away. Deny wins over allow on nats-server.
 */
function foreignDurableDenies(
  installation: NatsInstallation,
  owner?: PatinoxServiceName,
): string[] {
  const streams = streamNames(installation.prefix);
  return PATINOX_SERVICES.filter((service) => service !== owner).flatMap((service) =>
    CONSUMERS[service].flatMap(({ stream, durable }) => {
      const name = `${streams[stream]}.${durable}`;
      return [
        `$JS.API.CONSUMER.MSG.NEXT.${name}`,
        `$JS.API.CONSUMER.DELETE.${name}`,
        `$JS.API.CONSUMER.CREATE.${name}`,
        `$JS.API.CONSUMER.CREATE.${name}.>`,
        `$JS.API.CONSUMER.DURABLE.CREATE.${name}`,
        `$JS.ACK.${name}.>`,
      ];
    }),
  );
}

/** JetStream API subjects of one durable pull consumer: create it, pull, ack. */
function durableConsumerApi(stream: string, durable: string): string[] {
  return [
    `$JS.API.CONSUMER.CREATE.${stream}.${durable}`,
    `$JS.API.CONSUMER.CREATE.${stream}.${durable}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.${durable}`,
    `$JS.API.CONSUMER.INFO.${stream}.${durable}`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}`,
    `$JS.ACK.${stream}.${durable}.>`,
  ];
}

/**
 * The least permissions of one Patinox service, derived from the contracts (subjects, stream
 * names, knowledge keys) so a new subject or key family cannot be forgotten here silently:
 * the tests compare this with `SUBJECT_CATALOGUE` and `KEY_CATALOGUE`.
 */
export function servicePermissions(
  service: PatinoxServiceName,
  installation: NatsInstallation = DEFAULT_INSTALLATION,
): UserPermissions {
  const subjects = createSubjects(installation.prefix);
  const streams = streamNames(installation.prefix);
  const kvStream = `KV_${installation.bucket}`;
  const kv = (key: string) => `$KV.${installation.bucket}.${key}`;
  const publish: string[] = [
    // Account info (readiness) and the knowledge bucket: open or create it, read, watch, write own keys.
    "$JS.API.INFO",
    ...streamApi(kvStream),
    ...orderedConsumerApi(kvStream),
    ...KNOWLEDGE_WRITES[service].map(kv),
    // Dead letters of its own consumers.
    subjects.deadLetters(service),
  ];
  const subscribe: string[] = [
    // Replies to its own requests (JetStream API, KV, tool calls). The runtime's client uses
    // the default inbox prefix; see deploy/README.md for narrowing it.
    "_INBOX.>",
    // Micro-service discovery ($SRV.PING|INFO|STATS[.<name>[.<id>]]) and the status endpoint.
    "$SRV.PING",
    "$SRV.INFO",
    "$SRV.STATS",
    `$SRV.*.${service}`,
    `$SRV.*.${service}.*`,
    subjects.serviceStatus(service),
  ];
  for (const field of STREAM_WRITES[service]) publish.push(...streamApi(streams[field]));
  for (const field of STREAM_READS[service]) {
    publish.push(`$JS.API.STREAM.INFO.${streams[field]}`, ...orderedConsumerApi(streams[field]));
  }
  for (const { stream, durable } of CONSUMERS[service]) {
    publish.push(...durableConsumerApi(streams[stream], durable));
  }
  switch (service) {
    case "execute":
      subscribe.push(subjects.agentRunAll, subjects.runCancelAll);
      publish.push(
        `${subjects.prefix}.tools.*`,
        subjects.telemetryOf("execute"),
        subjects.resultsAll,
        // Results are looked up by run id (idempotent jobs).
        ...orderedConsumerApi(streams.results),
      );
      break;
    case "monitor":
      publish.push(subjects.telemetryOf("monitor"));
      break;
    case "analyze":
      publish.push(subjects.eventsOf("finding"), subjects.telemetryOf("analyze"));
      break;
    case "plan":
      publish.push(subjects.eventsOf("plan"), subjects.telemetryOf("plan"));
      break;
  }
  const ownKeys = new Set(KNOWLEDGE_WRITES[service]);
  return {
    publish: {
      allow: publish,
      // Redundant with the allow list, and kept so the intent survives a broadened allow:
      // no service deletes or purges a stream, and none writes another service's keys.
      deny: [
        "$JS.API.STREAM.DELETE.>",
        "$JS.API.STREAM.PURGE.>",
        ...KNOWLEDGE_FAMILIES.filter((family) => !overlaps(family, ownKeys)).map(kv),
        ...foreignDurableDenies(installation, service),
      ],
    },
    subscribe: { allow: subscribe, deny: [] },
    allowResponses: true,
  };
}

/** Whether a key family is (or contains) one of the service's own write patterns. */
function overlaps(family: string, own: ReadonlySet<string>): boolean {
  const head = family.split(".")[0];
  return [...own].some((pattern) => pattern.split(".")[0] === head);
}

/**
 * A publisher: a client that runs agents. It may request `<prefix>.agents.*.run`, cancel its
 * runs, and receive replies under {@link PUBLISHER_INBOX_PREFIX} — nothing else: no JetStream
 * API, no knowledge bucket, no telemetry, no other service's subjects.
 */
export function publisherPermissions(
  installation: NatsInstallation = DEFAULT_INSTALLATION,
): UserPermissions {
  const subjects = createSubjects(installation.prefix);
  return {
    publish: { allow: [subjects.agentRunAll, subjects.runCancelAll], deny: [] },
    subscribe: { allow: [`${PUBLISHER_INBOX_PREFIX}.>`], deny: [] },
    allowResponses: false,
  };
}

/** The permissions of a role. */
export function rolePermissions(role: NatsRole, installation?: NatsInstallation): UserPermissions {
  if (role === "publisher") return publisherPermissions(installation);
  if (role === "setup") return setupPermissions(installation);
  if (role === "operator") return operatorPermissions(installation);
  if (role === "tool") return toolPermissions(installation);
  if (role === "submitter") return submitterPermissions(installation);
  return servicePermissions(role, installation);
}

/** The environment variable the server reads a role's public nkey from. */
export function nkeyVariable(role: NatsRole): string {
  return `PATINOX_${role.toUpperCase()}_NKEY`;
}

/** The setup user of the prod Job: creates and updates the bucket and streams, nothing else. */
export function setupPermissions(
  installation: NatsInstallation = DEFAULT_INSTALLATION,
): UserPermissions {
  const streams = streamNames(installation.prefix);
  return {
    publish: {
      allow: [
        "$JS.API.INFO",
        ...[`KV_${installation.bucket}`, ...Object.values(streams)].flatMap((stream) => [
          `$JS.API.STREAM.INFO.${stream}`,
          `$JS.API.STREAM.CREATE.${stream}`,
          `$JS.API.STREAM.UPDATE.${stream}`,
        ]),
      ],
      deny: [
        "$JS.API.STREAM.DELETE.>",
        "$JS.API.STREAM.PURGE.>",
        ...foreignDurableDenies(installation),
      ],
    },
    subscribe: { allow: ["_INBOX.>"], deny: [] },
    allowResponses: false,
  };
}

/**
 * An operator (the `patinox` CLI): applies agent definitions (the one knowledge key family it
 * writes), reads everything in the bucket, events and dead letters, asks services for their
 * status and `$SRV` discovery, and may run agents. It creates, deletes or purges no stream.
 */
export function operatorPermissions(
  installation: NatsInstallation = DEFAULT_INSTALLATION,
): UserPermissions {
  const subjects = createSubjects(installation.prefix);
  const streams = streamNames(installation.prefix);
  const kvStream = `KV_${installation.bucket}`;
  const readOnly = (stream: string) => [
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
    ...orderedConsumerApi(stream),
  ];
  return {
    publish: {
      allow: [
        "$JS.API.INFO",
        "$JS.API.STREAM.NAMES",
        "$JS.API.STREAM.LIST",
        ...readOnly(kvStream),
        ...readOnly(streams.events),
        ...readOnly(streams.deadLetters),
        `$KV.${installation.bucket}.${KnowledgeKeys.allAgentConfigs}`,
        `${subjects.prefix}.svc.*.status`,
        "$SRV.>",
        subjects.agentRunAll,
        subjects.runCancelAll,
      ],
      deny: [
        "$JS.API.STREAM.DELETE.>",
        "$JS.API.STREAM.PURGE.>",
        ...foreignDurableDenies(installation),
      ],
    },
    subscribe: { allow: ["_INBOX.>"], deny: [] },
    allowResponses: false,
  };
}

/** Whether a NATS subject matches a pattern with `*` (one token) and `>` (the rest). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length || (p[i] !== "*" && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

/** What nats-server decides for a publish or subscribe: allowed by a rule and denied by none. */
export function isAllowed(rules: SubjectRules, subject: string): boolean {
  return (
    rules.allow.some((pattern) => subjectMatches(pattern, subject)) &&
    !rules.deny.some((pattern) => subjectMatches(pattern, subject))
  );
}

/**
 * A tool service (`serveTool` from `@patinox/tools`): serves `<prefix>.tools.<name>` in the
 * queue group `tools` and its micro-service discovery, and answers through `allow_responses`.
 * It publishes nothing else: no JetStream, no knowledge, no other subject. Give each tool its
 * own user and narrow `<prefix>.tools.*` to its name where tools are run by different teams.
 */
export function toolPermissions(
  installation: NatsInstallation = DEFAULT_INSTALLATION,
): UserPermissions {
  const subjects = createSubjects(installation.prefix);
  return {
    publish: { allow: [], deny: [">"] },
    subscribe: {
      allow: [
        `${subjects.prefix}.tools.*`,
        "$SRV.PING",
        "$SRV.INFO",
        "$SRV.STATS",
        "$SRV.*.*",
        "$SRV.*.*.*",
      ],
      deny: [],
    },
    allowResponses: true,
  };
}

/**
 * A job submitter: a client that queues durable jobs on `<prefix>.jobs.<agent>` (a JetStream
 * publish, acknowledged to its inbox) and reads their results on `<prefix>.results.<runId>`.
 * Results of every submitter share one subject space: give this user only to clients that
 * may see each other's job results, and keep interactive callers on `publisher`.
 */
export function submitterPermissions(
  installation: NatsInstallation = DEFAULT_INSTALLATION,
): UserPermissions {
  const subjects = createSubjects(installation.prefix);
  return {
    publish: { allow: [subjects.jobsAll, subjects.runCancelAll], deny: [] },
    subscribe: { allow: [`${SUBMITTER_INBOX_PREFIX}.>`, `${subjects.prefix}.results.*`], deny: [] },
    allowResponses: false,
  };
}
