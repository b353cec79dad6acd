import { randomUUID } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type NatsConnection, RequestError } from "@nats-io/nats-core";
import {
  createSubjects,
  ErrorReply,
  JobResult,
  parseMessage,
  RunReply,
  streamNames,
  type WireError,
} from "@patinox/contracts";
import { ExecuteUnavailable, RunRefused, RunTimedOut, UsageError } from "./errors.ts";

/** What `patinox run` asks for. */
export interface RunAgentOptions {
  readonly prefix: string;
  readonly agent: string;
  readonly input: string;
  /** `--async`: a durable job on the work queue instead of request/reply. */
  readonly durable: boolean;
  /** `--detach` (with `--async`): enqueue and return the run id without waiting. */
  readonly detach: boolean;
  readonly runId?: string | undefined;
  readonly callerId?: string | undefined;
  readonly sessionId?: string | undefined;
  /** The run's deadline, sent as `timeoutMs`; the CLI waits a little longer. */
  readonly timeoutMs: number;
}

/** How long the CLI waits beyond the run's own deadline for its answer. */
const ANSWER_GRACE_MS = 5_000;

/** What `patinox run` got: the run's outcome, or (detached) only the id of the queued job. */
export type RunAgentOutcome =
  | { readonly kind: "reply"; readonly reply: RunReply | JobResult }
  | { readonly kind: "queued"; readonly runId: string };

/**
 * Runs an agent once, the way any NATS client would: a request on `<prefix>.agents.<agent>.run`,
 * or with `durable` a job on `<prefix>.jobs.<agent>` (message id = run id) whose result is
 * awaited on `<prefix>.results.<runId>`, looked up in the results stream first in case it
 * arrived before the subscription. A refusal (`ErrorReply`) is a {@link RunRefused}.
 */
export async function runAgent(
  nc: NatsConnection,
  options: RunAgentOptions,
): Promise<RunAgentOutcome> {
  const subjects = createSubjects(options.prefix);
  const runId = options.runId ?? (options.durable ? randomUUID() : undefined);
  const request = {
    v: 1,
    input: options.input,
    timeoutMs: options.timeoutMs,
    ...(runId ? { runId } : {}),
    ...(options.callerId ? { callerId: options.callerId } : {}),
    ...(options.sessionId ? { sessionId: options.sessionId } : {}),
  };
  const wait = options.timeoutMs + ANSWER_GRACE_MS;
  if (!options.durable) {
    const subject = subjects.agentRun(options.agent);
    try {
      const reply = await nc.request(subject, JSON.stringify(request), { timeout: wait });
      return { kind: "reply", reply: answerOf(RunReply, reply.data) };
    } catch (error) {
      if (error instanceof RequestError && error.isNoResponders()) {
        throw new ExecuteUnavailable(`nothing answers on ${subject}: is Execute running?`);
      }
      if (error instanceof Error && error.name === "TimeoutError") {
        throw new RunTimedOut(`no answer on ${subject} within ${wait} ms`);
      }
      throw error;
    }
  }
  if (runId === undefined) throw new UsageError("a durable run needs a run id");
  const resultSubject = subjects.results(runId);
  // Subscribed before the job is queued, so a fast result is not missed.
  const sub = nc.subscribe(resultSubject, { max: 1, timeout: wait });
  try {
    const js = jetstream(nc);
    await js.publish(subjects.jobs(options.agent), JSON.stringify(request), { msgID: runId });
    if (options.detach) return { kind: "queued", runId };
    const stored = await storedResult(nc, options.prefix, resultSubject);
    if (stored) return { kind: "reply", reply: answerOf(JobResult, stored) };
    for await (const msg of sub) return { kind: "reply", reply: answerOf(JobResult, msg.data) };
    throw new RunTimedOut(`no result on ${resultSubject} within ${wait} ms`);
  } catch (error) {
    if (error instanceof Error && error.name === "TimeoutError") {
      throw new RunTimedOut(
        `no result on ${resultSubject} within ${wait} ms (the job stays queued)`,
      );
    }
    // No responders on the JetStream API for the jobs subject: nats.js says "jetstream is not
    // enabled" (JetStreamNotEnabled) when no stream captures it yet.
    if (
      error instanceof Error &&
      (error.name === "JetStreamNotEnabled" ||
        /no (responders|stream)|not enabled/i.test(error.message))
    ) {
      throw new ExecuteUnavailable(
        `the jobs stream does not exist yet: start Execute once (it creates ${streamNames(options.prefix).jobs})`,
      );
    }
    throw error;
  } finally {
    sub.unsubscribe();
  }
}

async function storedResult(
  nc: NatsConnection,
  prefix: string,
  subject: string,
): Promise<Uint8Array | undefined> {
  try {
    const jsm = await jetstreamManager(nc);
    const stored = await jsm.streams.getMessage(streamNames(prefix).results, {
      last_by_subj: subject,
    });
    return stored?.data;
  } catch {
    return undefined;
  }
}

/**
 * The reply parsed as `schema`, or the refusal it carries as a {@link RunRefused}. A reply with
 * a `status` is a run's outcome (a failed run carries an `error` too); only a reply without one
 * is an `ErrorReply`.
 */
function answerOf(
  schema: typeof RunReply | typeof JobResult,
  data: Uint8Array,
): RunReply | JobResult {
  const parsed = parseMessage<typeof RunReply | typeof JobResult>(schema, data);
  if (parsed.ok) return parsed.value as RunReply | JobResult;
  const refused = parseMessage(ErrorReply, data);
  if (refused.ok && !hasStatus(data)) throw new RunRefused(refused.value.error);
  throw new RunRefused(parsed.error.toWire() as WireError);
}

function hasStatus(data: Uint8Array): boolean {
  try {
    const body: unknown = JSON.parse(new TextDecoder().decode(data));
    return typeof body === "object" && body !== null && "status" in body;
  } catch {
    return false;
  }
}
