import { PATINOX_SERVICES } from "@patinox/contracts";
import { displayServers } from "@patinox/runtime";
import { NatsUnavailable } from "./nats-discovery.ts";
import { findRepositoryRoot, type Stack, startStack } from "./stack.ts";
import { readStackConfig } from "./stack-config.ts";

const print = (line: string) => process.stdout.write(`${line}\n`);
const root = findRepositoryRoot(import.meta.dirname);
const config = readStackConfig(process.env);

let stack: Stack | undefined;
let stopped = false;
let signals = 0;
// Installed before anything starts: a Ctrl-C during start-up must stop what was started.
const onSignal = () => {
  signals++;
  if (signals > 1) {
    print("stack   | killing everything");
    stack?.kill();
    process.exit(130);
  }
  if (!stack) {
    print("stack   | stopping as soon as everything has started (Ctrl-C again to exit now)");
    return;
  }
  print("stack   | stopping services (Ctrl-C again to kill)");
  void stack.stop().then(() => {
    stopped = true;
    print("stack   | stopped");
    process.exit(0);
  });
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
// Services and NATS run in their own process groups, so nothing else stops them if the stack dies.
process.on("exit", () => {
  if (!stopped) stack?.kill();
});

try {
  stack = await startStack({
    root,
    env: process.env,
    config,
    print,
    colour: process.stdout.isTTY === true,
    onGiveUp: (error) => {
      print(`stack   | giving up: ${error.message}`);
      process.exit(1);
    },
  });
} catch (error) {
  process.stderr.write(
    `${error instanceof NatsUnavailable ? error.message : `patinox stack: ${String(error)}`}\n`,
  );
  process.exit(1);
}

const url = displayServers([stack.nats.url]).join();
const natsLine = {
  configured: `NATS ${url} (from NATS_URL)`,
  local: `NATS ${url} (already running on this machine)`,
  embedded: `NATS ${url} (embedded nats-server, data in ${stack.nats.kind === "embedded" ? stack.nats.storeDir : ""})`,
}[stack.nats.kind];
const healthPorts = stack.healthPorts;
const modelLine =
  stack.model.kind === "simulated"
    ? `Model simulated: ${stack.model.models.join(", ")} at ${stack.model.baseURL} (no provider configured; set OPENAI_API_KEY or OPENAI_BASE_URL for a real one)`
    : "Model from OPENAI_API_KEY / OPENAI_BASE_URL / PATINOX_PROVIDERS";
print(
  [
    "",
    "Patinox local stack",
    `  ${natsLine}`,
    `  ${modelLine}`,
    ...PATINOX_SERVICES.map((s) => `  ${s.padEnd(8)} http://127.0.0.1:${healthPorts[s]}/readyz`),
    `  Status:  pnpm patinox status${url === "nats://127.0.0.1:4222" ? "" : `   (with NATS_URL=${url})`}`,
    "  Ctrl-C stops everything.",
    "",
  ].join("\n"),
);
if (signals > 0) {
  signals = 0;
  onSignal();
}
