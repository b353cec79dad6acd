import {
  Evolution,
  Finding,
  KnowledgeKeys,
  NAME_TOKEN_PATTERN,
  parseRecord,
} from "@patinox/contracts";
import { defineCommand } from "citty";
import { readCliConfig, withNats } from "../connection.ts";
import { KeyNotFound, UsageError } from "../errors.ts";
import { globalArgs, readGlobalOptions } from "../global-options.ts";
import type { CliIo } from "../io.ts";
import { openBucket } from "../knowledge-bucket.ts";
import { jsonDocument } from "../output.ts";
import { readPlans } from "./plans.ts";
import { renderPlanDetail } from "./plans-table.ts";

/**
 * `patinox plan show <id> [--agent <a>]`: one plan in full — its finding, change, pull
 * request, status history and Analyze's verdict; `--json` gives `{ plan, finding, verdict }`.
 */
export function planCommand(io: CliIo) {
  return defineCommand({
    meta: { name: "plan", description: "Show one plan in full" },
    subCommands: {
      show: defineCommand({
        meta: {
          name: "show",
          description: "A plan's finding, change, pull request, history and verdict",
        },
        args: {
          id: { type: "positional", description: "The plan id", required: true },
          agent: {
            type: "string",
            description: "The plan's agent (when two agents have plans of the same id)",
          },
          ...globalArgs,
        },
        async run({ args }) {
          const options = readGlobalOptions(args);
          const config = readCliConfig(io.env, options);
          const id = String(args.id);
          if (!NAME_TOKEN_PATTERN.test(id)) throw new UsageError(`not a plan id: ${id}`);
          if (args.agent !== undefined && !NAME_TOKEN_PATTERN.test(args.agent)) {
            throw new UsageError(`not an agent name: ${args.agent}`);
          }
          const found = await withNats(config, io.signal, async (nc) => {
            const filter = args.agent ? KnowledgeKeys.plansOf(args.agent) : KnowledgeKeys.allPlans;
            const { plans } = await readPlans(nc, config.PATINOX_BUCKET, filter);
            const plan = plans.find((p) => p.planId === id);
            if (!plan) return undefined;
            const { kv } = await openBucket(nc, config.PATINOX_BUCKET);
            const read = async <T>(key: string, schema: Parameters<typeof parseRecord>[0]) => {
              const entry = await kv.get(key);
              if (entry?.operation !== "PUT") return undefined;
              const parsed = parseRecord(schema, key, entry.value);
              return parsed.ok ? (parsed.value as T) : undefined;
            };
            const finding = await read<Finding>(
              KnowledgeKeys.finding(plan.agent, plan.findingFingerprint),
              Finding,
            );
            const verdict = await read<Evolution>(
              KnowledgeKeys.evolution(plan.agent, plan.planId),
              Evolution,
            );
            return { plan, finding, verdict };
          });
          if (!found)
            throw new KeyNotFound(`plans.${args.agent ?? "*"}.${id}`, config.PATINOX_BUCKET);
          io.stdout.write(
            options.json
              ? jsonDocument({
                  plan: found.plan,
                  finding: found.finding ?? null,
                  verdict: found.verdict ?? null,
                })
              : renderPlanDetail(found.plan, found.finding, found.verdict),
          );
        },
      }),
    },
  });
}
