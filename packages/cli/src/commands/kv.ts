import { defineCommand } from "citty";
import { readCliConfig, withNats } from "../connection.ts";
import { NatsConnectionLost } from "../errors.ts";
import { globalArgs, readGlobalOptions } from "../global-options.ts";
import type { CliIo } from "../io.ts";
import { getRecord, listKeys, watchRecords } from "../knowledge-bucket.ts";
import { jsonDocument, jsonLine, renderChange, renderRecord } from "../output.ts";

/** `patinox kv`: read the knowledge bucket (get, ls, watch). Never writes. */
export function kvCommand(io: CliIo) {
  return defineCommand({
    meta: { name: "kv", description: "Read the knowledge bucket (get, ls, watch)" },
    subCommands: { get: kvGetCommand(io), ls: kvLsCommand(io), watch: kvWatchCommand(io) },
  });
}

/** `patinox kv get <key>`: the value (pretty JSON), revision and creation time; exit 1 if absent. */
function kvGetCommand(io: CliIo) {
  return defineCommand({
    meta: { name: "get", description: "Show the current value of a key" },
    args: {
      key: {
        type: "positional",
        description: "The key, e.g. agents.support.config",
        required: true,
      },
      ...globalArgs,
    },
    async run({ args }) {
      const options = readGlobalOptions(args);
      const config = readCliConfig(io.env, options);
      const record = await withNats(config, io.signal, (nc) =>
        getRecord(nc, config.PATINOX_BUCKET, args.key),
      );
      io.stdout.write(
        options.json
          ? jsonDocument({ bucket: config.PATINOX_BUCKET, ...record })
          : renderRecord(record),
      );
    },
  });
}

/** `patinox kv ls [filter]`: matching keys, sorted, one per line. */
function kvLsCommand(io: CliIo) {
  return defineCommand({
    meta: { name: "ls", description: "List keys matching a filter" },
    args: {
      filter: {
        type: "positional",
        description: "Keys to list: * matches one token, a final > the rest",
        required: false,
        default: ">",
      },
      ...globalArgs,
    },
    async run({ args }) {
      const options = readGlobalOptions(args);
      const config = readCliConfig(io.env, options);
      const filter = args.filter ?? ">";
      const keys = await withNats(config, io.signal, (nc) =>
        listKeys(nc, config.PATINOX_BUCKET, filter),
      );
      if (options.json) {
        io.stdout.write(jsonDocument({ bucket: config.PATINOX_BUCKET, filter, keys }));
        return;
      }
      for (const key of keys) io.stdout.write(`${key}\n`);
      // On stderr, so `patinox kv ls | wc -l` still counts keys.
      if (keys.length === 0) {
        io.stderr.write(`no keys match ${filter} in bucket ${config.PATINOX_BUCKET}\n`);
      }
    },
  });
}

/** `patinox kv watch [filter]`: current values, then every change, until Ctrl-C. */
function kvWatchCommand(io: CliIo) {
  return defineCommand({
    meta: { name: "watch", description: "Stream changes to keys until Ctrl-C" },
    args: {
      filter: {
        type: "positional",
        description: "Keys to watch: * matches one token, a final > the rest",
        required: false,
        default: ">",
      },
      "updates-only": {
        type: "boolean",
        description: "Skip the current values; show only new changes",
      },
      ...globalArgs,
    },
    async run({ args }) {
      const options = readGlobalOptions(args);
      const config = readCliConfig(io.env, options);
      const filter = args.filter ?? ">";
      await withNats(config, io.signal, async (nc) => {
        const changes = watchRecords(nc, config.PATINOX_BUCKET, filter, {
          signal: io.signal,
          updatesOnly: args["updates-only"] === true,
        });
        try {
          for await (const change of changes)
            io.stdout.write(options.json ? jsonLine(change) : renderChange(change));
        } catch (error) {
          // Ctrl-C closes the connection too; whatever that breaks on the way out is expected.
          if (io.signal?.aborted) return;
          throw error;
        }
        // The watch only ends on its own when the connection went away under it.
        if (!io.signal?.aborted) throw new NatsConnectionLost(nc.getServer());
      });
    },
  });
}
