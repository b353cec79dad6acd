import { describe, expect, it } from "vitest";
import { createDeadLetter, DEAD_LETTER_PREVIEW_BYTES, DeadLetter } from "./dead-letter.ts";
import { parseMessage } from "./parse.ts";
import { TelemetryEvent } from "./telemetry.ts";

describe("createDeadLetter", () => {
  it("keeps the reason, the issues and a capped preview of the payload", () => {
    const payload = new TextEncoder().encode(
      JSON.stringify({ v: 1, type: "run.completed", pad: "x".repeat(5000) }),
    );
    const parsed = parseMessage(TelemetryEvent, payload);
    if (parsed.ok) throw new Error("expected a failure");
    const letter = createDeadLetter({
      service: "monitor",
      subject: "patinox.telemetry.execute.run.completed",
      payload,
      error: parsed.error,
      receivedAt: new Date("2025-03-14T09:26:53.589Z"),
      stream: "PATINOX_TELEMETRY",
      streamSeq: 7,
    });
    expect(DeadLetter.parse(letter)).toEqual(letter);
    expect(letter.code).toBe("malformed_message");
    expect(letter.issues.length).toBeGreaterThan(0);
    expect(letter.payloadBytes).toBe(payload.byteLength);
    expect(Buffer.from(letter.payloadPreview, "base64")).toEqual(
      Buffer.from(payload.subarray(0, DEAD_LETTER_PREVIEW_BYTES)),
    );
    expect(letter.receivedAt).toBe("2025-03-14T09:26:53.589Z");
    expect(letter).toMatchObject({ stream: "PATINOX_TELEMETRY", streamSeq: 7 });
  });

  it("handles an empty payload and invalid UTF-8", () => {
    for (const payload of [new Uint8Array(), new Uint8Array([0xff, 0xfe])]) {
      const parsed = parseMessage(TelemetryEvent, payload);
      if (parsed.ok) throw new Error("expected a failure");
      const letter = createDeadLetter({
        service: "monitor",
        subject: "s",
        payload,
        error: parsed.error,
        receivedAt: new Date(0),
      });
      expect(DeadLetter.safeParse(letter).success).toBe(true);
    }
  });
});
