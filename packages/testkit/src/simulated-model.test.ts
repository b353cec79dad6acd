import OpenAI from "openai";
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import { describe, expect, it } from "vitest";
import { ModelServer } from "./model-server.ts";
import { simulatedModel } from "./simulated-model.ts";

const tools: ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "Current weather for a city",
      parameters: {
        type: "object",
        properties: {
          city: { type: "string" },
          units: { type: "string", enum: ["celsius", "fahrenheit"] },
          days: { type: "integer", minimum: 1, maximum: 7 },
        },
        required: ["city"],
      },
    },
  },
  {
    type: "function",
    function: {
      name: "search_docs",
      description: "Full-text search",
      parameters: {
        type: "object",
        properties: { query: { type: "string" }, limit: { type: "integer" } },
        required: ["query"],
      },
    },
  },
];

function clientFor(server: ModelServer) {
  return new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
}

async function ask(server: ModelServer, params: ChatCompletionCreateParamsNonStreaming) {
  const completion = await clientFor(server).chat.completions.create(params);
  const choice = completion.choices[0];
  if (!choice) throw new Error("no choice");
  return { completion, choice };
}

describe("simulatedModel", () => {
  it("answers the same messages with the same text on two separate servers", async () => {
    await using one = await ModelServer.start(simulatedModel());
    await using two = await ModelServer.start(simulatedModel());
    const params: ChatCompletionCreateParamsNonStreaming = {
      model: "simulated-small",
      messages: [{ role: "user", content: "Summarise the release notes, please." }],
    };
    const a = await ask(one, params);
    const b = await ask(two, params);
    expect(a.choice.message.content).toBe(b.choice.message.content);
    expect(a.completion.usage).toEqual(b.completion.usage);
    expect(a.choice.message.content).toContain("Summarise the release notes, please.");
    expect(a.choice.finish_reason).toBe("stop");
    const other = await ask(one, {
      ...params,
      messages: [{ role: "user", content: "Something else entirely." }],
    });
    expect(other.choice.message.content).not.toBe(a.choice.message.content);
  });

  it("calls a tool with arguments built from its schema, then answers with the result", async () => {
    await using one = await ModelServer.start(simulatedModel());
    await using two = await ModelServer.start(simulatedModel());
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: "system", content: "Use tools." },
      { role: "user", content: "What's the weather in a nice city?" },
    ];
    const first = await ask(one, { model: "simulated-large", messages, tools });
    const again = await ask(two, { model: "simulated-large", messages, tools });
    expect(first.choice.finish_reason).toBe("tool_calls");
    expect(again.choice.message.tool_calls).toEqual(first.choice.message.tool_calls);
    const call = first.choice.message.tool_calls?.[0];
    if (call?.type !== "function") throw new Error("expected a function call");
    // The conversation's hash picks search_docs; `query` echoes the user, `limit` is a count.
    expect(call.function).toEqual({
      name: "search_docs",
      arguments: JSON.stringify({ query: "What's the weather in a nice city?", limit: 3 }),
    });
    const answer = await ask(one, {
      model: "simulated-large",
      tools,
      messages: [
        ...messages,
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: call.id, content: "18°C and sunny" },
      ],
    });
    expect(answer.choice.finish_reason).toBe("stop");
    expect(answer.choice.message.content).toContain("18°C and sunny");
    expect(answer.choice.message.content).toContain(call.function.name);
  });

  it("calls the tool tool_choice names, with plausible arguments, and none when it says none", async () => {
    await using server = await ModelServer.start(simulatedModel());
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "find it" }];
    const named = await ask(server, {
      model: "simulated-small",
      messages,
      tools,
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });
    const call = named.choice.message.tool_calls?.[0];
    if (call?.type !== "function") throw new Error("expected a function call");
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({
      city: expect.any(String),
      units: expect.stringMatching(/^(celsius|fahrenheit)$/),
      days: 4,
    });
    const none = await ask(server, {
      model: "simulated-small",
      messages,
      tools,
      tool_choice: "none",
    });
    expect(none.choice.message.tool_calls).toBeUndefined();
    expect(none.choice.message.content).toContain("find it");
  });

  it("answers a model without 'simulated' in its name with 404 model_not_found", async () => {
    await using server = await ModelServer.start(simulatedModel());
    const error = await clientFor(server)
      .chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error).toMatchObject({ code: "model_not_found", param: "model" });
    expect((error as Error).message).toContain("simulated-small");
  });

  it("lists the simulated models", async () => {
    await using server = await ModelServer.start(simulatedModel());
    const page = await clientFor(server).models.list();
    expect(page.data.map((m) => m.id)).toEqual(["simulated-small", "simulated-large"]);
  });

  it("cuts the answer at max_tokens with finish_reason length and counts usage", async () => {
    await using server = await ModelServer.start(simulatedModel());
    const { choice, completion } = await ask(server, {
      model: "simulated-small",
      max_tokens: 5,
      messages: [{ role: "user", content: "Tell me a long story about the sea." }],
    });
    expect(choice.finish_reason).toBe("length");
    expect(choice.message.content).toHaveLength(20);
    expect(completion.usage?.completion_tokens).toBe(5);
    expect(completion.usage?.total_tokens).toBe(
      (completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0),
    );
  });

  it("answers a json_schema response_format with JSON in that shape", async () => {
    await using server = await ModelServer.start(simulatedModel());
    const { choice } = await ask(server, {
      model: "simulated-small",
      messages: [{ role: "user", content: "Classify this ticket: login fails" }],
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "triage",
          schema: {
            type: "object",
            properties: {
              severity: { type: "string", enum: ["low", "high"] },
              tags: { type: "array", items: { type: "string" } },
              duplicate: { type: "boolean" },
            },
            required: ["severity", "tags", "duplicate"],
          },
        },
      },
    });
    const parsed = JSON.parse(choice.message.content ?? "") as Record<string, unknown>;
    expect(["low", "high"]).toContain(parsed.severity);
    expect(parsed.tags).toEqual([expect.any(String)]);
    expect(typeof parsed.duplicate).toBe("boolean");
  });

  it("adds the configured latency before answering", async () => {
    await using server = await ModelServer.start(simulatedModel({ latencyMs: 150 }));
    const started = Date.now();
    await ask(server, { model: "simulated-small", messages: [{ role: "user", content: "hi" }] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("streams the same answer it gives without streaming", async () => {
    await using server = await ModelServer.start(simulatedModel());
    const params = {
      model: "simulated-small",
      messages: [{ role: "user" as const, content: "Same either way?" }],
    };
    const plain = await ask(server, params);
    const streamed = await clientFor(server).chat.completions.stream(params).finalChatCompletion();
    expect(streamed.choices[0]?.message.content).toBe(plain.choice.message.content);
  });
});
