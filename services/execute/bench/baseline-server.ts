/**
 * The baseline Execute is measured against: the least code that does the same job. A plain
 * NATS subscription in a queue group takes the run request, asks the same model server with
 * the `openai` package (same instructions, same model, no retries), and replies with the output
 * and usage. No schemas, validators, limits, logging or Patinox code.
 *
 * Environment: `BENCH_NATS_URL`, `BENCH_PREFIX` (subjects `<prefix>.<route>.run`),
 * `BENCH_ROUTES` (JSON `{ "<route>": { "baseURL", "apiKey", "model", "instructions" } }`),
 * `BENCH_BASELINE_HTTP` (`fetch`, the client's default, or `undici`: Execute's
 * {@link ModelHttpClient}, to compare on the same transport).
 * Prints `baseline ready` once subscribed.
 */
import type { Msg } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import OpenAI from "openai";
import { ModelHttpClient } from "../src/model-http.ts";

/** One subject served against one model endpoint. */
export interface BaselineRoute {
  readonly baseURL: string;
  readonly apiKey: string;
  readonly model: string;
  readonly instructions: string;
}

const natsUrl = process.env.BENCH_NATS_URL;
const prefix = process.env.BENCH_PREFIX;
const routes = JSON.parse(process.env.BENCH_ROUTES ?? "{}") as Record<string, BaselineRoute>;
if (natsUrl === undefined || prefix === undefined) {
  throw new Error("BENCH_NATS_URL and BENCH_PREFIX are required");
}

const http = process.env.BENCH_BASELINE_HTTP === "undici" ? new ModelHttpClient() : undefined;

const nc = await connect({ servers: natsUrl, name: "bench-baseline" });
for (const [name, route] of Object.entries(routes)) {
  const client = new OpenAI({
    baseURL: route.baseURL,
    apiKey: route.apiKey,
    maxRetries: 0,
    ...(http ? { fetch: http.fetch } : {}),
  });
  nc.subscribe(`${prefix}.${name}.run`, {
    queue: "baseline",
    callback: (error, msg) => {
      if (error === null) void answer(client, route, msg);
    },
  });
}
await nc.flush();
process.stdout.write("baseline ready\n");

const stop = () => {
  void nc.drain().finally(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);

async function answer(client: OpenAI, route: BaselineRoute, msg: Msg): Promise<void> {
  try {
    const request = msg.json<{ input: string }>();
    const completion = await client.chat.completions.create({
      model: route.model,
      messages: [
        { role: "system", content: route.instructions },
        { role: "user", content: request.input },
      ],
    });
    msg.respond(
      JSON.stringify({
        v: 1,
        status: "completed",
        output: completion.choices[0]?.message.content ?? "",
        usage: {
          inputTokens: completion.usage?.prompt_tokens ?? 0,
          outputTokens: completion.usage?.completion_tokens ?? 0,
        },
      }),
    );
  } catch (error) {
    msg.respond(JSON.stringify({ v: 1, error: { code: "failed", message: String(error) } }));
  }
}
