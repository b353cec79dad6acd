import {
  AckPolicy,
  type Consumer,
  type ConsumerMessages,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { headers as natsHeaders } from "@nats-io/nats-core";
import {
  createDeadLetter,
  encode,
  JobRequest,
  JobResult,
  NameToken,
  PatinoxError,
  parseMessage,
  RunId,
  type RunReply,
  type Subjects,
  toPatinoxError,
} from "@patinox/contracts";
import { type Logger, pause } from "@patinox/runtime";
import type { DeadLetterSink } from "@patinox/streams";
import type { RunOrigin } from "../agent-runner.ts";

/** Runs one job's request; the endpoint's runner. */
export type JobRunner = (
  agent: string,
  request: JobRequest,
  origin: RunOrigin,
) => Promise<RunReply>;

/** Options of {@link JobWorker}. */
export interface JobWorkerOptions {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly subjects: Subjects;
  /** The jobs stream (work queue) and the results stream. */
  readonly jobsStream: string;
  readonly resultsStream: string;
  readonly deadLetters: DeadLetterSink;
  readonly run: JobRunner;
  readonly logger: Logger;
  /** Jobs run at once by this replica. */
  readonly concurrency: number;
  /** How long a job may go without a sign of life before JetStream redelivers it. */
  readonly ackWaitMs: number;
  /** Aborted when the service shuts down: in-flight jobs are handed back, not failed. */
  readonly shutdown: AbortSignal;
}

/** The durable consumer every Execute replica pulls jobs through (one work queue, shared). */
export const JOBS_CONSUMER = "execute";

/** Longest a refused job (overloaded, rate limited, budget spent) waits before it is tried again. */
const MAX_RETRY_DELAY_MS = 60_000;

/** Attempts to store a result before the job is handed back (and so run again). */
const STORE_ATTEMPTS = 5;

/**
 * Codes that refuse a job for now, not for good: the job goes back to the queue with a delay.
 * `unavailable` is the knowledge bucket (rate limits, budgets) out of reach.
 */
const TRANSIENT = new Set(["overloaded", "rate_limited", "budget_exhausted", "unavailable"]);

/**
 * Pulls durable jobs from `<prefix>.jobs.<agent>` with bounded concurrency, runs each, stores
 * its result in the results stream (published on `<prefix>.results.<runId>`, which is also
 * where waiting callers listen) and acks the job only after the stream has acknowledged the
 * result. Idempotent by run id: a redelivered job whose result is already stored republishes
 * that result and never runs again. A job that cannot be parsed is terminated and recorded as
 * a dead letter. A job refused for now (overloaded, rate limited, budget spent) is handed back
 * with a delay; one interrupted by shutdown is handed back at once for another replica.
 */
export class JobWorker {
  readonly #options: JobWorkerOptions;
  readonly #inFlight = new Set<Promise<void>>();
  /** Aborted by {@link stopPulling}: ends the fetch in progress and the loop. */
  readonly #stopping = new AbortController();
  #consumer: Consumer | undefined;
  #batch: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: JobWorkerOptions) {
    this.#options = options;
  }

  /** Creates (or updates) the durable consumer and starts pulling. */
  async start(): Promise<void> {
    const { jsm, js, jobsStream, subjects, ackWaitMs, concurrency } = this.#options;
    const config = {
      durable_name: JOBS_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: subjects.jobsAll,
      ack_wait: ackWaitMs * 1_000_000,
      max_ack_pending: -1,
      description: "Execute replicas pull durable jobs (a work queue)",
    };
    try {
      await jsm.consumers.info(jobsStream, JOBS_CONSUMER);
      await jsm.consumers.update(jobsStream, JOBS_CONSUMER, {
        ack_wait: config.ack_wait,
        description: config.description,
      });
    } catch (error) {
      if (
        !(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound)
      ) {
        throw error;
      }
      await jsm.consumers.add(jobsStream, config);
    }
    this.#consumer = await js.consumers.get(jobsStream, JOBS_CONSUMER);
    this.#loop = this.#pull(this.#consumer, concurrency);
  }

  /** Stops taking jobs: the fetch in progress ends; a job it still delivers is handed back. */
  async stopPulling(): Promise<void> {
    this.#stopping.abort();
    await this.#batch?.close().catch(() => undefined);
    await this.#loop;
  }

  /** Stops pulling, then waits for the jobs in flight (they stop at the shutdown deadline). */
  async stop(): Promise<void> {
    await this.stopPulling();
    await Promise.allSettled([...this.#inFlight]);
  }

  /**
   * Fetches only as many jobs as there are free slots, and starts each at once: a job is never
   * held unstarted (without heartbeats) while its ack wait runs, where another replica would
   * get it redelivered and run it a second time. Never rejects: a failed fetch (a lost
   * connection, a refused permission) is logged and retried after a pause, so the replica
   * keeps taking jobs once it can.
   */
  async #pull(consumer: Consumer, concurrency: number): Promise<void> {
    const stopping = this.#stopping.signal;
    while (!stopping.aborted) {
      if (this.#inFlight.size >= concurrency) {
        await Promise.race(this.#inFlight);
        continue;
      }
      try {
        this.#batch = await consumer.fetch({
          max_messages: concurrency - this.#inFlight.size,
          expires: 5_000,
        });
        for await (const msg of this.#batch) {
          if (stopping.aborted) {
            msg.nak(); // delivered as the fetch was being closed: another replica takes it
            continue;
          }
          this.#start(msg);
        }
      } catch (error) {
        if (stopping.aborted) break;
        this.#options.logger.warn({ err: error }, "could not fetch jobs; retrying");
        await pause(1_000, stopping);
      } finally {
        this.#batch = undefined;
      }
    }
  }

  #start(msg: JsMsg): void {
    const job = this.#handle(msg).catch((error: unknown) => {
      // #handle answers every message; reaching here is a bug. The job is redelivered.
      this.#options.logger.error({ err: error, subject: msg.subject }, "job handling failed");
      msg.nak(1_000);
    });
    this.#inFlight.add(job);
    void job.finally(() => this.#inFlight.delete(job));
  }

  async #handle(msg: JsMsg): Promise<void> {
    const agent = msg.subject.slice(this.#options.subjects.prefix.length + ".jobs.".length);
    const parsed = parseMessage(JobRequest, msg.data);
    if (!NameToken.safeParse(agent).success || !parsed.ok) {
      const error = parsed.ok
        ? new PatinoxError("invalid_name", `the job's agent ${JSON.stringify(agent)} is not a name`)
        : parsed.error;
      await this.#deadLetter(msg, error);
      return;
    }
    const request = parsed.value;
    if (await this.#republishStored(request.runId)) {
      msg.ack();
      return;
    }
    // Heartbeats until the job is acked or handed back: storing the result may take retries.
    const heartbeat = setInterval(
      () => msg.working(),
      Math.max(1_000, this.#options.ackWaitMs / 3),
    );
    try {
      let result: JobResult;
      try {
        const reply = await this.#options.run(agent, request, {
          shutdown: this.#options.shutdown,
          headers: msg.headers,
          handedBackOnShutdown: true,
        });
        if (this.#options.shutdown.aborted && reply.error?.code === "unavailable") {
          // Cut short by shutdown: another replica runs it again from the start.
          msg.nak();
          return;
        }
        result = { ...reply, completedAt: new Date().toISOString() };
      } catch (thrown) {
        const error = toPatinoxError(thrown);
        if (TRANSIENT.has(error.code)) {
          msg.nak(Math.min(MAX_RETRY_DELAY_MS, error.retryAfterMs ?? 1_000));
          return;
        }
        result = refusedResult(agent, request.runId, error);
      }
      await this.#store(result);
      msg.ack();
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Publishes the stored result of `runId` again, if there is one; whether there was. */
  async #republishStored(runId: string): Promise<boolean> {
    const { jsm, resultsStream, subjects, nc } = this.#options;
    const subject = subjects.results(runId);
    try {
      const stored = await jsm.streams.getMessage(resultsStream, { last_by_subj: subject });
      if (stored === null) return false;
      const headers = natsHeaders();
      headers.set("Nats-Msg-Id", runId);
      // A core publish reaches callers waiting now; the stream drops it as a duplicate or keeps
      // it as the subject's one message, so the stored result stays the same either way.
      nc.publish(subject, stored.data, { headers });
      this.#options.logger.info(
        { runId },
        "job redelivered after its run finished: result republished",
      );
      return true;
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.NoMessageFound) {
        return false;
      }
      throw error;
    }
  }

  /**
   * Stores a result, trying a few times: a run that finished must not run again because the
   * results stream blinked. The run id is the message id, so a retry that follows a lost
   * acknowledgement stores one message, not two.
   */
  async #store(result: JobResult): Promise<void> {
    const { js, subjects } = this.#options;
    const data = encode(JobResult.parse(result));
    for (let attempt = 1; ; attempt++) {
      try {
        await js.publish(subjects.results(result.runId), data, { msgID: result.runId });
        return;
      } catch (error) {
        if (attempt >= STORE_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
      }
    }
  }

  async #deadLetter(msg: JsMsg, error: PatinoxError): Promise<void> {
    const { logger, jobsStream, deadLetters } = this.#options;
    await deadLetters.publish(
      createDeadLetter({
        service: "execute",
        subject: msg.subject,
        payload: msg.data,
        error,
        receivedAt: new Date(),
        stream: jobsStream,
        streamSeq: msg.seq,
        consumer: JOBS_CONSUMER,
      }),
    );
    // A caller waiting on the run id it chose learns why, when the job names a usable one.
    const runId = runIdOf(msg);
    if (runId !== undefined && !(await this.#republishStored(runId))) {
      await this.#store(refusedResult(undefined, runId, error));
    }
    // No reason argument: nats-server 2.9 does not parse "+TERM <reason>" and ignores the ack.
    msg.term();
    logger.warn(
      { subject: msg.subject, code: error.code, reason: error.message },
      "job dead-lettered",
    );
  }
}

/** The result of a job that never started. */
function refusedResult(agent: string | undefined, runId: string, error: PatinoxError): JobResult {
  return {
    v: 1,
    runId,
    agent: agent !== undefined && NameToken.safeParse(agent).success ? agent : "unknown",
    status: "failed",
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    steps: 0,
    durationMs: 0,
    error: error.toWire(),
    completedAt: new Date().toISOString(),
  };
}

/** The run id of an unparsable job, when its JSON has a valid one. */
function runIdOf(msg: JsMsg): string | undefined {
  try {
    const body: unknown = msg.json();
    if (typeof body !== "object" || body === null) return undefined;
    const parsed = RunId.safeParse((body as { runId?: unknown }).runId);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
