import type { NatsConnection } from "@nats-io/nats-core";
import { Finding, KnowledgeKeys, PatinoxError } from "@patinox/contracts";
import { defineCommand } from "citty";
import { readCliConfig, withNats } from "../connection.ts";
import { UsageError } from "../errors.ts";
import { globalArgs, readGlobalOptions } from "../global-options.ts";
import type { CliIo } from "../io.ts";
import { readRecords } from "../knowledge-bucket.ts";
import { jsonDocument } from "../output.ts";
import { renderFindingsTable, sortFindings } from "./findings-table.ts";

/**
 * `patinox findings [--agent <a>] [--all]`: Analyze's findings, open ones by default (dry-run
 * findings marked as such), resolved ones too with `--all`; `--json` gives
 * `{ bucket, findings }` with every record as stored.
 */
export function findingsCommand(io: CliIo) {
  return defineCommand({
    meta: {
      name: "findings",
      description: "Show Analyze's findings (open ones unless --all)",
    },
    args: {
      agent: { type: "string", description: "Only this agent's findings" },
      all: { type: "boolean", description: "Resolved findings too", default: false },
      ...globalArgs,
    },
    async run({ args }) {
      const options = readGlobalOptions(args);
      const config = readCliConfig(io.env, options);
      const filter = findingsFilter(args.agent);
      const { findings, invalid } = await withNats(config, io.signal, (nc) =>
        readFindings(nc, config.PATINOX_BUCKET, filter),
      );
      for (const key of invalid) io.stderr.write(`skipped ${key}: not a valid finding\n`);
      const shown = sortFindings(args.all ? findings : findings.filter((f) => f.status === "open"));
      io.stdout.write(
        options.json
          ? jsonDocument({ bucket: config.PATINOX_BUCKET, findings: shown })
          : renderFindingsTable(shown, (io.now?.() ?? new Date()).getTime()),
      );
    },
  });
}

function findingsFilter(agent: string | undefined): string {
  if (agent === undefined) return KnowledgeKeys.allFindings;
  try {
    return KnowledgeKeys.findingsOf(agent);
  } catch (error) {
    if (error instanceof PatinoxError) throw new UsageError(error.message);
    throw error;
  }
}

/** Every readable finding under `filter`; unreadable ones are named apart. */
async function readFindings(
  nc: NatsConnection,
  bucket: string,
  filter: string,
): Promise<{ findings: Finding[]; invalid: string[] }> {
  const { records, invalid } = await readRecords(nc, bucket, filter, Finding);
  return { findings: records, invalid };
}
