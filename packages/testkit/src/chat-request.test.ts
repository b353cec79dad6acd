import { describe, expect, it } from "vitest";
import { messageText, parseChatRequest } from "./chat-request.ts";

function rejection(body: unknown) {
  const check = parseChatRequest(JSON.stringify(body));
  if (check.ok) throw new Error("expected a rejection");
  return check.error;
}

const user = { role: "user", content: "hi" };

describe("parseChatRequest", () => {
  it("accepts a valid body and keeps fields it does not interpret", () => {
    const check = parseChatRequest(
      JSON.stringify({ model: "m", messages: [user], seed: 3, user: "u-1", n: 1 }),
    );
    expect(check).toEqual({
      ok: true,
      request: { model: "m", messages: [user], seed: 3, user: "u-1", n: 1 },
    });
  });

  it("accepts an assistant message with tool calls and null content once answered", () => {
    const call = { id: "c1", type: "function", function: { name: "f", arguments: "{}" } };
    const check = parseChatRequest(
      JSON.stringify({
        model: "m",
        tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
        messages: [
          user,
          { role: "assistant", content: null, tool_calls: [call] },
          { role: "tool", tool_call_id: "c1", content: "r" },
        ],
      }),
    );
    expect(check.ok).toBe(true);
  });

  it.each([
    [{ model: "m", messages: [{ role: "user" }] }, "messages[0].content"],
    [{ model: "m", messages: [{ role: "tool", content: "r" }] }, "messages[0].tool_call_id"],
    [
      {
        model: "m",
        messages: [user],
        tools: [{ type: "function", function: { name: "bad name" } }],
      },
      "tools[0].function.name",
    ],
    [{ model: "m", messages: [user], tool_choice: "auto" }, "tool_choice"],
    [{ model: "m", messages: [user], temperature: 3 }, "temperature"],
    [{ model: "m", messages: [user], max_tokens: 0 }, "max_tokens"],
    [{ model: "m", messages: [user], stream: "yes" }, "stream"],
    [{ model: "m", messages: [user], n: 2 }, "n"],
  ])("rejects %j at %s", (body, param) => {
    expect(rejection(body)).toMatchObject({
      kind: "error",
      status: 400,
      param,
      type: "invalid_request_error",
    });
  });

  it("rejects tool results interleaved with another message", () => {
    const call = { id: "c1", type: "function", function: { name: "f", arguments: "{}" } };
    const error = rejection({
      model: "m",
      messages: [
        user,
        { role: "assistant", tool_calls: [call] },
        { role: "system", content: "interrupt" },
        { role: "tool", tool_call_id: "c1", content: "r" },
      ],
    });
    expect(error.message).toMatch(/did not have response messages: c1/);
    expect(error.param).toBe("messages.[2].role");
  });
});

describe("messageText", () => {
  it("joins the text parts of multi-part content", () => {
    expect(
      messageText({
        role: "user",
        content: [
          { type: "text", text: "a" },
          { type: "image_url", image_url: { url: "x" } },
          { type: "text", text: "b" },
        ],
      }),
    ).toBe("ab");
    expect(messageText({ role: "assistant", content: null })).toBe("");
  });
});
