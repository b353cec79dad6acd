import OpenAI from "openai";
import type {
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import { describe, expect, it } from "vitest";
import { ModelServer } from "./model-server.ts";
import { ModelStep } from "./model-step.ts";
import { estimatePromptTokens, estimateTokens } from "./token-estimate.ts";

const weatherTool: ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city"],
    },
  },
};

const question: ChatCompletionMessageParam[] = [
  { role: "system", content: "You are terse." },
  { role: "user", content: "Weather in Lisbon?" },
];

function clientFor(server: ModelServer, options: { maxRetries?: number; timeout?: number } = {}) {
  return new OpenAI({ baseURL: server.baseURL, apiKey: "sk-test", maxRetries: 0, ...options });
}

async function postChat(server: ModelServer, body: string) {
  const response = await fetch(`${server.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-test" },
    body,
  });
  return { status: response.status, body: (await response.json()) as { error: unknown } };
}

describe("ModelServer: replies", () => {
  it("answers with scripted text and usage in OpenAI's wire format", async () => {
    await using server = await ModelServer.start({
      script: [
        ModelStep.text("Sunny, 21°C.", { usage: { promptTokens: 12, completionTokens: 5 } }),
      ],
    });
    expect(server.baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const before = Math.floor(Date.now() / 1000);
    const completion = await clientFor(server).chat.completions.create({
      model: "gpt-4o-mini",
      messages: question,
      temperature: 0.2,
      max_tokens: 64,
    });
    expect(completion).toMatchObject({
      object: "chat.completion",
      model: "gpt-4o-mini",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Sunny, 21°C.", refusal: null },
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
    });
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.created).toBeGreaterThanOrEqual(before);
    expect(completion.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it("records what the client sent, with the API key redacted", async () => {
    await using server = await ModelServer.start({
      apiKey: "sk-test",
      script: [ModelStep.text("ok")],
    });
    await clientFor(server).chat.completions.create({
      model: "gpt-4o-mini",
      messages: question,
      tools: [weatherTool],
      temperature: 0.2,
      max_tokens: 64,
    });
    const [record] = server.requests;
    expect(record).toMatchObject({
      index: 0,
      method: "POST",
      path: "/v1/chat/completions",
      apiKey: "matched",
      status: 200,
      outcome: "answered",
      step: "text",
      body: {
        model: "gpt-4o-mini",
        messages: question,
        tools: [weatherTool],
        temperature: 0.2,
        max_tokens: 64,
      },
    });
    expect(record?.headers.authorization).toBe("[redacted]");
    expect(JSON.stringify(server.requests)).not.toContain("sk-test");
  });

  it("estimates usage at four characters per token when the script gives none", async () => {
    await using server = await ModelServer.start({ script: [ModelStep.text("abcdefghij")] });
    const completion = await clientFor(server).chat.completions.create({
      model: "m",
      messages: question,
    });
    const body = server.requests[0]?.body;
    if (!body) throw new Error("request not recorded");
    expect(completion.usage).toMatchObject({
      prompt_tokens: estimatePromptTokens(body),
      completion_tokens: 3,
      total_tokens: estimatePromptTokens(body) + 3,
    });
    expect(estimateTokens("abcdefghij")).toBe(3);
  });

  it("reports finish_reason length when scripted", async () => {
    await using server = await ModelServer.start({
      script: [ModelStep.text("cut", { finishReason: "length" })],
    });
    const completion = await clientFor(server).chat.completions.create({
      model: "m",
      messages: question,
    });
    expect(completion.choices[0]?.finish_reason).toBe("length");
  });

  it("uses the handler once the script is used up", async () => {
    await using server = await ModelServer.start({
      script: [ModelStep.text("scripted")],
      handler: (request, record) => ModelStep.text(`handled ${record.index} for ${request.model}`),
    });
    const client = clientFor(server);
    const first = await client.chat.completions.create({ model: "a", messages: question });
    const second = await client.chat.completions.create({ model: "b", messages: question });
    expect(first.choices[0]?.message.content).toBe("scripted");
    expect(second.choices[0]?.message.content).toBe("handled 1 for b");
    expect(server.pendingSteps).toBe(0);
  });

  it("lists its models and answers 404 model_not_found for others", async () => {
    await using server = await ModelServer.start({ models: ["alpha", "beta"] });
    const client = clientFor(server);
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(["alpha", "beta"]);
    expect(await client.models.retrieve("beta")).toMatchObject({ id: "beta", object: "model" });
    const error = await client.models.retrieve("gamma").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error).toMatchObject({ status: 404, code: "model_not_found" });
  });
});

describe("ModelServer: tool calls", () => {
  it("round-trips a tool call: tools out, tool_calls back, the result in, text out", async () => {
    await using server = await ModelServer.start({
      script: [
        ModelStep.toolCalls({ name: "get_weather", arguments: { city: "Lisbon" }, id: "call_w1" }),
        ModelStep.text("It is sunny in Lisbon."),
      ],
    });
    const client = clientFor(server);
    const first = await client.chat.completions.create({
      model: "m",
      messages: question,
      tools: [weatherTool],
    });
    const choice = first.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content).toBeNull();
    const call = choice?.message.tool_calls?.[0];
    if (call?.type !== "function") throw new Error("expected a function call");
    expect(call).toEqual({
      id: "call_w1",
      type: "function",
      function: { name: "get_weather", arguments: '{"city":"Lisbon"}' },
    });
    const second = await client.chat.completions.create({
      model: "m",
      tools: [weatherTool],
      messages: [
        ...question,
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: call.id, content: '{"sky":"sunny"}' },
      ],
    });
    expect(second.choices[0]?.message.content).toBe("It is sunny in Lisbon.");
    expect(server.requests[1]?.body?.messages.at(-1)).toEqual({
      role: "tool",
      tool_call_id: "call_w1",
      content: '{"sky":"sunny"}',
    });
  });

  it("delivers invalid tool-call JSON verbatim in arguments", async () => {
    const broken = '{"city": "Lisb';
    await using server = await ModelServer.start({
      script: [ModelStep.toolCalls({ name: "get_weather", arguments: broken })],
    });
    const completion = await clientFor(server).chat.completions.create({
      model: "m",
      messages: question,
      tools: [weatherTool],
    });
    const call = completion.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== "function") throw new Error("expected a function call");
    expect(call.function.arguments).toBe(broken);
    expect(call.id).toBe("call_0_0");
    expect(() => JSON.parse(call.function.arguments)).toThrow();
  });

  it("rejects a tool result that answers no tool call with 400, as OpenAI does", async () => {
    await using server = await ModelServer.start({ script: [ModelStep.text("unreachable")] });
    const error = await clientFor(server)
      .chat.completions.create({
        model: "m",
        messages: [...question, { role: "tool", tool_call_id: "call_x", content: "orphan" }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toMatch(/must be a response to a preceeding message/);
    expect(server.pendingSteps).toBe(1);
  });

  it("rejects an assistant tool call left without its result", async () => {
    await using server = await ModelServer.start({ script: [ModelStep.text("unreachable")] });
    const call = {
      id: "call_1",
      type: "function" as const,
      function: { name: "get_weather", arguments: "{}" },
    };
    const error = await clientFor(server)
      .chat.completions.create({
        model: "m",
        tools: [weatherTool],
        messages: [
          ...question,
          { role: "assistant", content: null, tool_calls: [call] },
          { role: "user", content: "and?" },
        ],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toMatch(/did not have response messages: call_1/);
  });
});

describe("ModelServer: streaming", () => {
  it("streams text as chat.completion.chunk events the client reassembles, usage last", async () => {
    const text = "A fairly long answer, streamed in several pieces.";
    await using server = await ModelServer.start({
      script: [ModelStep.text(text, { usage: { promptTokens: 9, completionTokens: 11 } })],
    });
    const stream = clientFor(server).chat.completions.stream({
      model: "m",
      messages: question,
      stream_options: { include_usage: true },
    });
    const pieces: string[] = [];
    stream.on("content", (delta) => pieces.push(delta));
    const completion = await stream.finalChatCompletion();
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.join("")).toBe(text);
    expect(completion.choices[0]).toMatchObject({
      finish_reason: "stop",
      message: { content: text },
    });
    expect(completion.usage).toMatchObject({
      prompt_tokens: 9,
      completion_tokens: 11,
      total_tokens: 20,
    });
  });

  it("streams tool calls whose arguments arrive in pieces", async () => {
    const args = { city: "Lisbon", units: "celsius", days: 3 };
    await using server = await ModelServer.start({
      script: [
        ModelStep.toolCalls([
          { name: "get_weather", arguments: args, id: "call_a" },
          { name: "get_weather", arguments: "{not json", id: "call_b" },
        ]),
      ],
    });
    const completion = await clientFor(server)
      .chat.completions.stream({ model: "m", messages: question, tools: [weatherTool] })
      .finalChatCompletion();
    const [choice] = completion.choices;
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.tool_calls).toEqual([
      {
        id: "call_a",
        type: "function",
        function: { name: "get_weather", arguments: JSON.stringify(args) },
      },
      { id: "call_b", type: "function", function: { name: "get_weather", arguments: "{not json" } },
    ]);
  });

  it("frames every event as data: {…} and ends with data: [DONE]", async () => {
    await using server = await ModelServer.start({ script: [ModelStep.text("hi there")] });
    const response = await fetch(`${server.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: question, stream: true }),
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const raw = await response.text();
    expect(raw.endsWith("data: [DONE]\n\n")).toBe(true);
    const events = raw.split("\n\n").filter((e) => e.length > 0);
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.replace(/^data: /, "")));
    for (const chunk of chunks) expect(chunk.object).toBe("chat.completion.chunk");
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.at(-1).choices[0]).toEqual({
      index: 0,
      delta: {},
      logprobs: null,
      finish_reason: "stop",
    });
  });
});

describe("ModelServer: failures", () => {
  it("has a 429 with Retry-After retried by the client after the given wait", async () => {
    await using server = await ModelServer.start({
      script: [ModelStep.rateLimited({ retryAfter: 1 }), ModelStep.text("after the wait")],
    });
    const started = Date.now();
    const completion = await clientFor(server, { maxRetries: 2 }).chat.completions.create({
      model: "m",
      messages: question,
    });
    expect(completion.choices[0]?.message.content).toBe("after the wait");
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(server.chatRequests.map((r) => r.status)).toEqual([429, 200]);
  });

  it("surfaces a 429 as RateLimitError with its headers when the client may not retry", async () => {
    await using server = await ModelServer.start({
      script: [ModelStep.rateLimited({ retryAfter: 7 })],
    });
    const error = await clientFor(server)
      .chat.completions.create({ model: "m", messages: question })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const rateLimited = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(rateLimited).toMatchObject({
      status: 429,
      code: "rate_limit_exceeded",
      type: "requests",
    });
    expect(rateLimited.headers.get("retry-after")).toBe("7");
    expect(server.chatRequests).toHaveLength(1);
  });

  it("surfaces a 500 as InternalServerError and has a 503 retried", async () => {
    await using server = await ModelServer.start({
      script: [
        ModelStep.serverError(),
        ModelStep.serverError({ status: 503, retryAfter: 0.05 }),
        ModelStep.text("recovered"),
      ],
    });
    const error = await clientFor(server)
      .chat.completions.create({ model: "m", messages: question })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 500, type: "server_error" });
    const completion = await clientFor(server, { maxRetries: 1 }).chat.completions.create({
      model: "m",
      messages: question,
    });
    expect(completion.choices[0]?.message.content).toBe("recovered");
    expect(server.chatRequests.map((r) => r.status)).toEqual([500, 503, 200]);
  });

  it("answers 500 that the client does not retry when the script is used up", async () => {
    await using server = await ModelServer.start();
    const error = await clientFor(server, { maxRetries: 3 })
      .chat.completions.create({ model: "m", messages: question })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ code: "script_exhausted" });
    expect(server.chatRequests).toHaveLength(1);
  });

  it("turns a reply slower than the client's timeout into APIConnectionTimeoutError", async () => {
    await using server = await ModelServer.start({
      script: [ModelStep.delayed(5_000, ModelStep.text("too late"))],
    });
    const error = await clientFor(server, { timeout: 200 })
      .chat.completions.create({ model: "m", messages: question })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect((await server.settled(0)).outcome).toBe("client-closed");
  });

  it("answers a slow reply once the delay has passed", async () => {
    await using server = await ModelServer.start({
      script: [ModelStep.delayed(150, ModelStep.text("slow"))],
    });
    const started = Date.now();
    const completion = await clientFor(server).chat.completions.create({
      model: "m",
      messages: question,
    });
    expect(completion.choices[0]?.message.content).toBe("slow");
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("lets an AbortSignal cancel a hanging request and records the disconnect", async () => {
    await using server = await ModelServer.start({ script: [ModelStep.hang()] });
    const controller = new AbortController();
    const pending = clientFor(server)
      .chat.completions.create({ model: "m", messages: question }, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect((await server.received(0)).outcome).toBe("pending");
    controller.abort();
    expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
    const record = await server.settled(0);
    expect(record).toMatchObject({ outcome: "client-closed", status: undefined, step: "hang" });
  });

  it("ends hanging requests when it closes", async () => {
    const server = await ModelServer.start({ script: [ModelStep.hang()] });
    const pending = clientFor(server)
      .chat.completions.create({ model: "m", messages: question })
      .catch((e: unknown) => e);
    await server.received(0);
    await server.close();
    expect(await pending).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(server.requests[0]?.outcome).toBe("server-closed");
  });

  it("drops the connection on a disconnect step: APIConnectionError, not a timeout", async () => {
    await using server = await ModelServer.start({ script: [ModelStep.disconnect()] });
    const error = await clientFor(server)
      .chat.completions.create({ model: "m", messages: question })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(error).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(server.requests[0]?.outcome).toBe("server-closed");
  });
});

describe("ModelServer: authentication", () => {
  it("answers a wrong API key with 401 AuthenticationError that does not echo the key", async () => {
    await using server = await ModelServer.start({
      apiKey: "sk-right",
      script: [ModelStep.text("secret")],
    });
    const client = new OpenAI({ baseURL: server.baseURL, apiKey: "sk-wrong-key", maxRetries: 0 });
    const error = await client.chat.completions
      .create({ model: "m", messages: question })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({
      status: 401,
      code: "invalid_api_key",
      type: "invalid_request_error",
    });
    expect((error as Error).message).not.toContain("sk-wrong-key");
    expect(server.requests[0]).toMatchObject({
      apiKey: "mismatched",
      headers: { authorization: "[redacted]" },
    });
    expect(server.pendingSteps).toBe(1);
  });

  it("answers a request without a key with 401, models included", async () => {
    await using server = await ModelServer.start({ apiKey: "sk-right" });
    const response = await fetch(`${server.baseURL}/models`);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: {
        message: expect.stringContaining("You didn't provide an API key"),
        type: "invalid_request_error",
        param: null,
        code: null,
      },
    });
    expect(server.requests[0]?.apiKey).toBe("missing");
  });
});

describe("ModelServer: strict request checks", () => {
  it.each([
    ["not JSON", "{model: nope", /could not parse the JSON body/, null],
    ["not an object", "[]", /must be a JSON object/, null],
    ["without a model", JSON.stringify({ messages: question }), /must provide a model/, null],
    [
      "without messages",
      JSON.stringify({ model: "m" }),
      /Missing required parameter: 'messages'/,
      "messages",
    ],
    ["with no messages", JSON.stringify({ model: "m", messages: [] }), /empty array/, "messages"],
    [
      "with an unknown role",
      JSON.stringify({ model: "m", messages: [{ role: "robot", content: "x" }] }),
      /Invalid value: 'robot'/,
      "messages[0].role",
    ],
    [
      "with object tool-call arguments",
      JSON.stringify({
        model: "m",
        messages: [
          {
            role: "assistant",
            tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: {} } }],
          },
          { role: "tool", tool_call_id: "c", content: "r" },
        ],
      }),
      /'messages\[0\]\.tool_calls\[0\]\.function\.arguments': expected a string/,
      "messages[0].tool_calls[0].function.arguments",
    ],
  ])("answers a body %s with an OpenAI-shaped 400", async (_, body, message, param) => {
    await using server = await ModelServer.start({ script: [ModelStep.text("must not be used")] });
    const response = await postChat(server, body);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: {
        message: expect.stringMatching(message),
        type: "invalid_request_error",
        param,
        code: expect.toSatisfy((code: unknown) => code === null || typeof code === "string"),
      },
    });
    expect(server.pendingSteps).toBe(1);
    expect(server.requests[0]).toMatchObject({
      status: 400,
      outcome: "failed",
      body: undefined,
      rawBody: body,
    });
  });

  it("answers an unknown path with 404 Invalid URL", async () => {
    await using server = await ModelServer.start();
    const response = await fetch(`${server.baseURL}/completions`, { method: "POST", body: "{}" });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      error: { message: "Invalid URL (POST /v1/completions)" },
    });
  });
});
