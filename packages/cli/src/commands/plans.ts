import type { NatsConnection } from "@nats-io/nats-core";
import { KnowledgeKeys, PatinoxError, Plan } from "@patinox/contracts";
import { defineCommand } from "citty";
import { readCliConfig, withNats } from "../connection.ts";
import { UsageError } from "../errors.ts";
import { globalArgs, readGlobalOptions } from "../global-options.ts";
import type { CliIo } from "../io.ts";
import { readRecords } from "../knowledge-bucket.ts";
import { jsonDocument } from "../output.ts";
import { renderPlansTable } from "./plans-table.ts";

/**
 * `patinox plans [--agent <a>]`: Plan's plans, newest first, with status, change and pull
 * request; `--json` gives `{ bucket, plans }` with every record as stored.
 */
export function plansCommand(io: CliIo) {
  return defineCommand({
    meta: { name: "plans", description: "Show Plan's plans: status, change and pull request" },
    args: {
      agent: { type: "string", description: "Only this agent's plans" },
      ...globalArgs,
    },
    async run({ args }) {
      const options = readGlobalOptions(args);
      const config = readCliConfig(io.env, options);
      const filter = plansFilter(args.agent);
      const { plans, invalid } = await withNats(config, io.signal, (nc) =>
        readPlans(nc, config.PATINOX_BUCKET, filter),
      );
      for (const key of invalid) io.stderr.write(`skipped ${key}: not a valid plan\n`);
      const shown = [...plans].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      io.stdout.write(
        options.json
          ? jsonDocument({ bucket: config.PATINOX_BUCKET, plans: shown })
          : renderPlansTable(shown, (io.now?.() ?? new Date()).getTime()),
      );
    },
  });
}

function plansFilter(agent: string | undefined): string {
  if (agent === undefined) return KnowledgeKeys.allPlans;
  try {
    return KnowledgeKeys.plansOf(agent);
  } catch (error) {
    if (error instanceof PatinoxError) throw new UsageError(error.message);
    throw error;
  }
}

/** Every readable plan under `filter`; unreadable ones are named apart. */
export async function readPlans(
  nc: NatsConnection,
  bucket: string,
  filter: string,
): Promise<{ plans: Plan[]; invalid: string[] }> {
  const { records, invalid } = await readRecords(nc, bucket, filter, Plan);
  return { plans: records, invalid };
}
