import { PATINOX_SERVICES } from "@patinox/contracts";
import { NatsUnavailable } from "./nats-discovery.ts";
import { findRepositoryRoot, startStack } from "./stack.ts";
import { readStackConfig } from "./stack-config.ts";

const print = (line: string) => process.stdout.write(`${line}\n`);
const root = findRepositoryRoot(import.meta.dirname);
const config = readStackConfig(process.env);

let stack: Awaited<ReturnType<typeof startStack>>;
try {
  stack = await startStack({
    root,
    env: process.env,
    config,
    print,
    colour: process.stdout.isTTY === true,
    onGiveUp: (error) => {
      print(`stack   | giving up: ${error.message}`);
      stack.kill();
      process.exit(1);
    },
  });
} catch (error) {
  if (error instanceof NatsUnavailable) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

const natsLine = {
  configured: `NATS ${stack.nats.url} (from NATS_URL)`,
  local: `NATS ${stack.nats.url} (already running on this machine)`,
  embedded: `NATS ${stack.nats.url} (embedded nats-server, data in ${stack.nats.kind === "embedded" ? stack.nats.storeDir : ""})`,
}[stack.nats.kind];
print(
  [
    "",
    "Patinox local stack",
    `  ${natsLine}`,
    ...PATINOX_SERVICES.map(
      (s) => `  ${s.padEnd(8)} http://127.0.0.1:${stack.healthPorts[s]}/readyz`,
    ),
    "  Status:  pnpm patinox status" +
      (stack.nats.url === "nats://127.0.0.1:4222" ? "" : `   (with NATS_URL=${stack.nats.url})`),
    "  Ctrl-C stops everything.",
    "",
  ].join("\n"),
);

let signals = 0;
const onSignal = () => {
  signals++;
  if (signals > 1) {
    print("stack   | second signal: killing everything");
    stack.kill();
    process.exit(130);
  }
  print("stack   | stopping services (Ctrl-C again to kill)");
  void stack.stop().then(() => {
    print("stack   | stopped");
    process.exit(0);
  });
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
// Services run in their own process groups, so nothing else stops them if the stack dies.
process.on("exit", () => stack.kill());
