import { defineCommand } from "citty";
import {
  agentHistory,
  applyAgents,
  checkAgentName,
  checkAudit,
  DEFAULT_APPLY_REASON,
  defaultAppliedBy,
  listAgents,
  readDefinitions,
} from "../agents.ts";
import {
  renderAgentApplied,
  renderAgents,
  renderApplySummary,
  renderHistory,
} from "../agents-output.ts";
import { readCliConfig, withNats } from "../connection.ts";
import { globalArgs, readGlobalOptions } from "../global-options.ts";
import type { CliIo } from "../io.ts";
import { jsonDocument } from "../output.ts";

/** `patinox agents`: apply definitions, list agents, show an agent's history. */
export function agentsCommand(io: CliIo) {
  return defineCommand({
    meta: { name: "agents", description: "Apply agent definitions; list agents and their history" },
    subCommands: {
      apply: agentsApplyCommand(io),
      history: agentsHistoryCommand(io),
      ls: agentsLsCommand(io),
    },
  });
}

/**
 * `patinox agents apply <file|dir>`: checks every file first (any problem: all of them are
 * printed, exit 65, nothing written), then per agent prints what changes against what is live
 * and writes it with compare-and-set. `--dry-run` only compares.
 */
function agentsApplyCommand(io: CliIo) {
  return defineCommand({
    meta: {
      name: "apply",
      description: "Check agent definition files and make them live (compare-and-set)",
    },
    args: {
      path: {
        type: "positional",
        description: "A definition file, or a directory of *.yaml / *.yml files",
        required: true,
      },
      "dry-run": {
        type: "boolean",
        description: "Show what would change against what is live; write nothing",
      },
      reason: {
        type: "string",
        valueHint: "text",
        description: `Why, recorded with each new version (default "${DEFAULT_APPLY_REASON}")`,
      },
      by: {
        type: "string",
        valueHint: "name",
        description: "Who applies, recorded with each new version (default cli:<user>@<host>)",
      },
      ...globalArgs,
    },
    async run({ args }) {
      const options = readGlobalOptions(args);
      const appliedBy = args.by ?? defaultAppliedBy(io.env);
      const reason = args.reason ?? DEFAULT_APPLY_REASON;
      checkAudit(appliedBy, reason);
      const config = readCliConfig(io.env, options);
      // Every file is checked before anything connects, so a bad file never half-applies a set.
      const definitions = await readDefinitions(args.path);
      const dryRun = args["dry-run"] === true;
      const report = await withNats(config, io.signal, (nc) =>
        applyAgents(nc, definitions, {
          bucket: config.PATINOX_BUCKET,
          dryRun,
          appliedBy,
          reason,
          ...(options.json
            ? {}
            : { onAgent: (agent) => io.stdout.write(renderAgentApplied(agent, dryRun)) }),
        }),
      );
      io.stdout.write(options.json ? jsonDocument(report) : renderApplySummary(report));
    },
  });
}

/** `patinox agents history <agent>`: every kept version, who applied it, when and why. */
function agentsHistoryCommand(io: CliIo) {
  return defineCommand({
    meta: { name: "history", description: "List the kept versions of an agent's definition" },
    args: {
      agent: { type: "positional", description: "The agent's name", required: true },
      ...globalArgs,
    },
    async run({ args }) {
      const options = readGlobalOptions(args);
      checkAgentName(args.agent);
      const config = readCliConfig(io.env, options);
      const report = await withNats(config, io.signal, (nc) =>
        agentHistory(nc, config.PATINOX_BUCKET, args.agent),
      );
      io.stdout.write(options.json ? jsonDocument(report) : renderHistory(report));
    },
  });
}

/** `patinox agents ls`: every agent with a live definition, and its version. */
function agentsLsCommand(io: CliIo) {
  return defineCommand({
    meta: { name: "ls", description: "List the agents with a live definition" },
    args: { ...globalArgs },
    async run({ args }) {
      const options = readGlobalOptions(args);
      const config = readCliConfig(io.env, options);
      const report = await withNats(config, io.signal, (nc) =>
        listAgents(nc, config.PATINOX_BUCKET),
      );
      if (options.json) {
        io.stdout.write(jsonDocument(report));
        return;
      }
      if (report.agents.length === 0) {
        // On stderr, like `kv ls`: stdout stays empty for scripts.
        io.stderr.write(`no agents defined in bucket ${report.bucket}\n`);
        return;
      }
      io.stdout.write(renderAgents(report));
    },
  });
}
