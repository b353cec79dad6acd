import { defineCommand } from "citty";
import { readCliConfig, withNats } from "../connection.ts";
import { globalArgs, readGlobalOptions } from "../global-options.ts";
import type { CliIo } from "../io.ts";
import { jsonDocument, renderStatus } from "../output.ts";
import { collectStatus } from "../status.ts";

/**
 * `patinox status`: the services found through `$SRV` discovery, the ones of the four that are
 * missing, and the knowledge bucket's statistics. Exits 0 whenever it could look, even with
 * services missing: the report says what is there; `--json` gives {@link StatusReport}.
 */
export function statusCommand(io: CliIo) {
  return defineCommand({
    meta: {
      name: "status",
      description: "Show the running Patinox services and the knowledge bucket",
    },
    args: { ...globalArgs },
    async run({ args }) {
      const options = readGlobalOptions(args);
      const config = readCliConfig(io.env, options);
      const report = await withNats(config, io.signal, (nc) =>
        collectStatus(nc, {
          bucket: config.PATINOX_BUCKET,
          prefix: config.PATINOX_PREFIX,
          timeoutMs: options.timeoutMs,
          ...(io.now ? { now: io.now } : {}),
        }),
      );
      io.stdout.write(
        options.json ? jsonDocument(report) : renderStatus(report, options.timeoutMs),
      );
    },
  });
}
