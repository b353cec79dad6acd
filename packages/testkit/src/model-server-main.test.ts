import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { modelServerEntry } from "./model-server-entry.ts";

function startMain(env: Record<string, string>) {
  return spawn(
    process.execPath,
    ["--conditions=@patinox/source", "--import", "tsx", modelServerEntry],
    { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
}

describe("model-server-main", () => {
  it("prints its URL as one JSON line, serves the simulated model and stops on SIGTERM", async () => {
    const child = startMain({ PATINOX_MODEL_PORT: "" });
    const exited = once(child, "exit");
    try {
      const lines = createInterface({ input: child.stdout });
      const [line] = (await once(lines, "line")) as [string];
      const announced = JSON.parse(line) as { baseURL: string; models: string[] };
      expect(announced.baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      expect(announced.models).toEqual(["simulated-small", "simulated-large"]);
      const client = new OpenAI({ baseURL: announced.baseURL, apiKey: "none", maxRetries: 0 });
      const completion = await client.chat.completions.create({
        model: "simulated-small",
        messages: [{ role: "user", content: "ping" }],
      });
      expect(completion.choices[0]?.message.content).toContain("ping");
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toEqual([0, null]);
  });

  it("exits 1 naming the variable when the port is not a number", async () => {
    const child = startMain({ PATINOX_MODEL_PORT: "eighty" });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = await once(child, "exit");
    expect(code).toBe(1);
    expect(stderr).toContain('PATINOX_MODEL_PORT must be an integer from 0 to 65535, got "eighty"');
  });
});
