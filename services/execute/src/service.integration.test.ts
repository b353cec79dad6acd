import { Writable } from "node:stream";
import { connect } from "@nats-io/transport-node";
import { ErrorReply, KnowledgeKeys } from "@patinox/contracts";
import { startService } from "@patinox/runtime";
import { NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executeService } from "./service.ts";

const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
let nats: NatsServer;
beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats?.[Symbol.asyncDispose]();
});

async function run(url: string, agent: string): Promise<ErrorReply> {
  const nc = await connect({ servers: url });
  try {
    const reply = await nc.request(
      `patinox.agents.${agent}.run`,
      JSON.stringify({ v: 1, input: "hello" }),
    );
    return ErrorReply.parse(reply.json());
  } finally {
    await nc.close();
  }
}

describe("execute (foundation)", () => {
  it("answers unknown_agent for an agent with no definition, and says plainly that running is not built yet for one that has", async () => {
    const running = await startService(executeService, {
      env: { NATS_URL: nats.url, PATINOX_HEALTH_PORT: "0", PATINOX_HEALTH_HOST: "127.0.0.1" },
      logDestination: quiet,
    });
    try {
      expect((await run(nats.url, "support")).error).toMatchObject({
        code: "unknown_agent",
        retryable: false,
      });

      const nc = await connect({ servers: nats.url });
      const { Kvm } = await import("@nats-io/kv");
      const kv = await new Kvm(nc).open("patinox");
      await kv.put(
        KnowledgeKeys.agentConfig("support"),
        JSON.stringify({
          v: 1,
          version: 1,
          appliedBy: "test",
          reason: "foundation test",
          appliedAt: new Date().toISOString(),
          definition: {
            v: 1,
            name: "support",
            model: { name: "simulated-small" },
            instructions: "Be brief.",
          },
        }),
      );
      await nc.close();
      const { error } = await run(nats.url, "support");
      expect(error.code).toBe("unavailable");
      expect(error.message).toMatch(/not implemented/);
    } finally {
      await running.shutdown();
    }
  });
});
