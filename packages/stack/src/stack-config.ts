import { EXIT_CONFIG, env, readConfig } from "@patinox/runtime";
import { z } from "zod";

/** The local stack's own variables (the services read theirs; see README "Configuration"). */
export const StackConfigSchema = z.object({
  /** NATS to use as is; when unset the stack finds or starts one. */
  NATS_URL: z.string().optional(),
  /** Where to look for an already running NATS, and where an embedded one listens if its port is free. */
  PATINOX_LOCAL_NATS_URL: z
    .string()
    .regex(/^nats:\/\/[^\s:/]+(:\d{1,5})?$/, {
      error: "expected a URL such as nats://127.0.0.1:4222",
    })
    .default("nats://127.0.0.1:4222"),
  /** State of the embedded NATS (its JetStream store). @default <repository>/.patinox */
  PATINOX_STATE_DIR: z.string().optional(),
  /** First health port; the services take this and the next free ones. */
  PATINOX_STACK_FIRST_PORT: env.int(1, 65_000).default(8081),
});

/** Parsed stack configuration. */
export type StackConfig = z.output<typeof StackConfigSchema>;

/** Reads the stack's configuration, or prints what is wrong and exits 78. */
export function readStackConfig(environment: NodeJS.ProcessEnv): StackConfig {
  try {
    return readConfig(StackConfigSchema, environment);
  } catch (error) {
    process.stderr.write(
      `patinox stack: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(EXIT_CONFIG);
  }
}
