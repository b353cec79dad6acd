import {
  type MsgHdrs,
  type NatsConnection,
  headers as natsHeaders,
  RequestError,
  TimeoutError,
} from "@nats-io/nats-core";
import { ErrorReply, fromWireError, PatinoxError } from "@patinox/contracts";

/** Options for {@link callTool}. */
export interface CallToolOptions {
  /** How long to wait for the reply. */
  readonly timeoutMs: number;
  /** Aborts the wait (run cancelled or past its deadline). */
  readonly signal?: AbortSignal;
  /** Headers to send, e.g. trace context. */
  readonly headers?: MsgHdrs;
}

/**
 * Calls a tool by request/reply and returns its JSON result. Failures are `PatinoxError`s:
 * the tool's own error reply as sent, `tool_failure` with `details.reason` `timeout` or
 * `no_responders`, and `cancelled` when `signal` aborts first.
 */
export async function callTool(
  nc: NatsConnection,
  subject: string,
  args: unknown,
  options: CallToolOptions,
): Promise<unknown> {
  if (options.signal?.aborted) throw cancelled(subject);
  const request = nc.request(subject, JSON.stringify(args), {
    timeout: options.timeoutMs,
    headers: options.headers ?? natsHeaders(),
  });
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(cancelled(subject));
    options.signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const reply = await Promise.race([request, aborted]);
    const body: unknown = reply.json();
    const error = ErrorReply.safeParse(body);
    if (reply.headers?.hasError || error.success) {
      if (error.success) throw fromWireError(error.data.error);
      throw new PatinoxError(
        "tool_failure",
        `tool at ${subject} failed: ${reply.headers?.description ?? "error"}`,
      );
    }
    return body;
  } catch (error) {
    if (error instanceof PatinoxError) throw error;
    const reason =
      error instanceof TimeoutError
        ? "timeout"
        : error instanceof RequestError && error.isNoResponders()
          ? "no_responders"
          : "transport";
    throw new PatinoxError("tool_failure", `tool at ${subject}: ${reason.replace("_", " ")}`, {
      details: { subject, reason },
      cause: error,
    });
  } finally {
    if (onAbort) options.signal?.removeEventListener("abort", onAbort);
    aborted.catch(() => undefined);
  }
}

function cancelled(subject: string): PatinoxError {
  return new PatinoxError("cancelled", `tool call to ${subject} cancelled`, {
    details: { subject },
  });
}
