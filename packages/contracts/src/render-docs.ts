import {
  KEY_CATALOGUE,
  SUBJECT_CATALOGUE,
  WIRE_SCHEMAS,
  type WireSchemaName,
} from "./catalogue.ts";
import { ERROR_CODES, ErrorSpecs } from "./error-codes.ts";
import { WIRE_EXAMPLES } from "./examples.ts";
import { rejectsUnknownFields, wireJsonSchema } from "./json-schema.ts";
import { NAME_TOKEN_PATTERN, PREFIX_PATTERN } from "./name-token.ts";

/** The command that regenerates the checked-in docs. */
export const GENERATE_DOCS_COMMAND = "pnpm --filter @patinox/contracts gen:docs";

/** Where the wire reference is written, relative to the repository root. */
export const WIRE_DOC_PATH = "docs/wire.md";

/** Where the JSON Schemas are written, relative to the repository root. */
export const SCHEMA_DIR = "docs/schemas";

const cell = (text: string): string => text.replaceAll("|", "\\|").replaceAll("\n", " ");
const code = (text: string): string => `\`${text}\``;
const schemaLink = (name: WireSchemaName): string => `[${name}](schemas/${name}.json)`;
const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

const intro = `# The Patinox wire

> Generated from \`packages/contracts\` by \`src/generate-docs.ts\`. Do not edit by hand: change
> the schemas, then run \`${GENERATE_DOCS_COMMAND}\`.

Everything Patinox says on NATS, and everything it keeps in its knowledge bucket, has a schema
in \`@patinox/contracts\`, published here as JSON Schema (draft 2020-12) so a client in any
language can build and check its messages.

## Talking to Patinox

- Messages are UTF-8 JSON objects. Subjects start with a prefix, \`patinox\` unless the
  installation configures another (dot-separated tokens matching \`${PREFIX_PATTERN.source}\`).
- Run an agent with a request on \`{prefix}.agents.{agent}.run\`:

  \`\`\`sh
  nats req patinox.agents.support.run '{"v":1,"input":"Where is order 123456?"}'
  \`\`\`

- Every endpoint replies either its own reply schema or an \`ErrorReply\` (\`{"v":1,"error":{…}}\`).
  A \`RunReply\` always has a \`status\`; an \`ErrorReply\` never has one. An \`ErrorReply\` also
  carries the NATS micro service headers \`Nats-Service-Error-Code\` (the code's HTTP-like
  status below) and \`Nats-Service-Error\` (the message).
- A request that cannot be parsed never crashes a service and never blocks the messages behind
  it: request/reply gets a \`malformed_message\` error reply; a stream message is terminated and
  published as a \`DeadLetter\` on \`{prefix}.deadletters.{service}\`.

## Envelope and versioning

- Every top-level message and record has \`v\`, the schema version: \`1\` for all of these. A
  field added within a version is optional (or has a default); a change that would break a
  reader introduces \`v: 2\`, and readers accept both while it rolls out.
- **Requests are strict**: \`RunRequest\`, \`JobRequest\`, \`CancelRequest\`, \`StatusRequest\` and
  the \`AgentDefinition\` file reject unknown fields with \`malformed_message\` (\`unknown field\`
  at the field's path). A typo, or a field an older server does not understand (a deadline, an
  idempotency id), fails loudly instead of being silently ignored. \`metadata\` is the place for
  free-form labels.
- **Everything Patinox writes is tolerant**: replies, events, telemetry, dead letters and
  knowledge records ignore unknown fields, so a newer service can add a field without breaking
  older readers during a rolling upgrade. Clients must ignore fields they do not know.
- Names that become subject tokens or key parts (agents, tools, services, run ids, fingerprints,
  plan ids) match \`${NAME_TOKEN_PATTERN.source}\`: no dots, wildcards or whitespace.
- Times are RFC 3339 strings (Patinox writes UTC with \`Z\`); durations are integer milliseconds
  (\`…Ms\`); money is US dollars (\`costUsd\`); metric windows start at an epoch-millisecond
  integer.
- \`timeoutMs\` on a request is the caller's deadline, counted from when Execute receives it
  (relative, so clocks need not agree). \`runId\` makes a request idempotent; a job requires one.
- Stream messages (telemetry, events) carry an \`id\`, sent as the \`Nats-Msg-Id\` header, so a
  publisher's retry inside the stream's duplicate window is stored once.
- Error details never hold stack traces, secrets or the text of unexpected errors: an error
  Patinox did not anticipate is \`internal\` with the message \`internal error\`.
`;

function errorsSection(): string {
  const rows = ERROR_CODES.map((c) => {
    const s = ErrorSpecs[c];
    return [
      code(c),
      s.category,
      code(s.recovery),
      s.retryable ? "yes" : "no",
      String(s.natsServiceCode),
      s.description,
    ];
  });
  return `## Errors

An error travels as a \`WireError\`: \`code\`, \`message\`, \`recovery\`, \`retryable\`, and optionally
\`retryAfterMs\` and JSON \`details\` (for \`malformed_message\` and \`record_invalid\`:
\`details.stage\` is \`utf8\`, \`json\` or \`schema\`, and \`details.issues\` lists up to 20
\`{ path, message }\` with \`path\` a JSON Pointer).

- \`recovery\` is what the component that meets the error does next: \`retry\` (the same call again
  with exponential backoff and jitter, honouring \`retryAfterMs\`), \`fallback\` (the next model; for
  a tool, the error goes back to the model as the tool result), \`circuit-break\` (counted against
  the dependency's breaker, which stops calls while open), \`fail\` (reported to the caller).
- \`retryable\` tells a caller whether sending the same request again may succeed (after
  \`retryAfterMs\` when present). With a \`runId\` a retry is idempotent.
- Clients should branch on \`retryable\` and \`recovery\`, and treat a code they do not know as
  \`internal\`.
- Reaching the step limit is not an error: the run ends with status \`max_steps\` and keeps its
  partial output.

${table(["code", "category", "recovery", "retryable", "NATS code", "meaning"], rows)}
`;
}

function subjectsSection(): string {
  const rows = SUBJECT_CATALOGUE.map((s) => [
    code(s.subject),
    s.kind + (s.queueGroup === undefined ? "" : ` (queue ${code(s.queueGroup)})`),
    `${s.publishedBy} → ${s.servedBy}`,
    s.payload === undefined ? "—" : schemaLink(s.payload),
    s.reply === undefined ? "—" : `${schemaLink(s.reply)} or [ErrorReply](schemas/ErrorReply.json)`,
    s.errors.length === 0 ? "—" : s.errors.map(code).join(", "),
    s.description,
  ]);
  return `## Subjects

For endpoints, the errors are those a reply can carry; for streams and publish-only subjects,
those a consumer records when it dead-letters a message.

${table(["subject", "kind", "from → to", "payload", "reply", "errors", "what"], rows)}
`;
}

function keysSection(): string {
  const rows = KEY_CATALOGUE.map((k) => [
    code(k.key),
    schemaLink(k.record),
    k.writtenBy,
    k.readBy,
    k.description,
  ]);
  return `## Knowledge keys

One JetStream KV bucket holds what the services share. Keys have no prefix (the bucket is the
namespace). Every write that can race is a compare-and-set on the key's revision; a record that
fails its schema on read is reported as \`record_invalid\` and never crashes the reader.

${table(["key", "record", "written by", "read by", "what"], rows)}
`;
}

function schemasSection(): string {
  const names = Object.keys(WIRE_SCHEMAS) as WireSchemaName[];
  const rows = names.map((name) => {
    const entry = WIRE_SCHEMAS[name];
    return [
      schemaLink(name),
      entry.io === "input" ? "written by people and clients" : "written by Patinox",
      rejectsUnknownFields(entry.schema) ? "rejected" : "ignored",
      entry.schema.description ?? "",
    ];
  });
  return `## Schemas

${table(["schema", "side", "unknown fields", "what"], rows)}
`;
}

function examplesSection(): string {
  const shown: readonly WireSchemaName[] = [
    "RunRequest",
    "RunReply",
    "ErrorReply",
    "JobRequest",
    "CancelRequest",
  ];
  const blocks = shown.map(
    (name) =>
      `### ${name}\n\n${WIRE_EXAMPLES[name].map((e) => `\`\`\`json\n${json(e)}\`\`\``).join("\n\n")}\n`,
  );
  return `## Examples\n\n${blocks.join("\n")}`;
}

/**
 * Renders the wire reference and every JSON Schema: a map from a path relative to the
 * repository root (`docs/wire.md`, `docs/schemas/<Name>.json`) to its exact content. Pure and
 * deterministic: the docs-sync test compares it with the checked-in files.
 */
export function renderWireDocs(): Map<string, string> {
  const files = new Map<string, string>();
  const wire = [
    intro,
    errorsSection(),
    subjectsSection(),
    keysSection(),
    schemasSection(),
    examplesSection(),
  ];
  files.set(WIRE_DOC_PATH, wire.join("\n"));
  for (const name of Object.keys(WIRE_SCHEMAS) as WireSchemaName[]) {
    files.set(`${SCHEMA_DIR}/${name}.json`, json(wireJsonSchema(name)));
  }
  return files;
}
