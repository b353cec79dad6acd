import type { NatsConnection } from "@nats-io/nats-core";
import { KnowledgeKeys, MetricWindow, PatinoxError, parseRecord } from "@patinox/contracts";
import { defineCommand } from "citty";
import { readCliConfig, withNats } from "../connection.ts";
import { UsageError } from "../errors.ts";
import { globalArgs, readGlobalOptions } from "../global-options.ts";
import type { CliIo } from "../io.ts";
import { openBucket } from "../knowledge-bucket.ts";
import { jsonDocument } from "../output.ts";
import { renderMetricsTable } from "./metrics-table.ts";

/** Windows shown unless `--last` says otherwise. */
const DEFAULT_LAST = 15;

/** `patinox metrics <agent>`: the agent's recent metric windows, a sparkline per column. */
export function metricsCommand(io: CliIo) {
  return defineCommand({
    meta: {
      name: "metrics",
      description: "Show an agent's recent metric windows (a table with a sparkline per column)",
    },
    args: {
      agent: { type: "positional", description: "The agent's name", required: true },
      last: {
        type: "string",
        description: `How many of the latest windows to show (default ${DEFAULT_LAST})`,
      },
      ...globalArgs,
    },
    async run({ args }) {
      const options = readGlobalOptions(args);
      const config = readCliConfig(io.env, options);
      const last = parseLast(args.last);
      const filter = metricsFilter(args.agent);
      const { windows, invalid } = await withNats(config, io.signal, (nc) =>
        readWindows(nc, config.PATINOX_BUCKET, filter, last),
      );
      for (const key of invalid) io.stderr.write(`skipped ${key}: not a valid metric window\n`);
      io.stdout.write(
        options.json
          ? jsonDocument({ bucket: config.PATINOX_BUCKET, agent: args.agent, windows })
          : renderMetricsTable(args.agent, windows),
      );
    },
  });
}

function parseLast(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LAST;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000) {
    throw new UsageError(`--last expects a whole number from 1 to 1000, got ${value}`);
  }
  return n;
}

function metricsFilter(agent: string): string {
  try {
    return KnowledgeKeys.metricsOf(agent);
  } catch (error) {
    if (error instanceof PatinoxError) throw new UsageError(error.message);
    throw error;
  }
}

/** The latest `last` readable windows under `filter`, oldest first; unreadable ones are named apart. */
async function readWindows(
  nc: NatsConnection,
  bucket: string,
  filter: string,
  last: number,
): Promise<{ windows: MetricWindow[]; invalid: string[] }> {
  const { kv } = await openBucket(nc, bucket);
  const keys: Array<{ key: string; start: number }> = [];
  for await (const key of await kv.keys(filter)) {
    keys.push({ key, start: Number(key.slice(key.lastIndexOf(".") + 1)) });
  }
  keys.sort((a, b) => a.start - b.start);
  const windows: MetricWindow[] = [];
  const invalid: string[] = [];
  // Newest first, until enough readable windows are found; then shown oldest first.
  for (const { key } of keys.reverse()) {
    if (windows.length === last) break;
    const entry = await kv.get(key);
    if (entry?.operation !== "PUT") continue;
    const parsed = parseRecord(MetricWindow, key, entry.value);
    if (parsed.ok) windows.push(parsed.value);
    else invalid.push(key);
  }
  return { windows: windows.reverse(), invalid };
}
