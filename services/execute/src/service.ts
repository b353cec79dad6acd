import { setMaxListeners } from "node:events";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { RunRequest } from "@patinox/contracts";
import type { ServiceDefinition } from "@patinox/runtime";
import { DeadLetterSink, ensureStream, installationStreams } from "@patinox/streams";
import { callTool } from "@patinox/tools";
import { AgentDefinitions } from "./agent-definitions.ts";
import { AgentRunner } from "./agent-runner.ts";
import { breakerWatcher } from "./breaker-watcher.ts";
import { AgentGates } from "./concurrency-gate.ts";
import { definitionWatcher } from "./definition-watcher.ts";
import { ExecuteConfigSchema } from "./execute-config.ts";
import { JobWorker } from "./jobs/job-worker.ts";
import { ModelProviders } from "./model-providers.ts";
import { PriceTable } from "./price-table.ts";
import { RunGuards } from "./run-guards.ts";
import { listenForCancellations, RunsInFlight } from "./runs-in-flight.ts";
import { TelemetryPublisher } from "./telemetry/publisher.ts";
import { ExecuteTelemetry } from "./telemetry/run-telemetry.ts";
import { createTelemetryStreamIfMissing } from "./telemetry/telemetry-stream.ts";

/**
 * Execute: runs agents behind the validation layer, reached by request/reply on
 * `<prefix>.agents.<agent>.run` (queue group `execute`), with definitions hot-reloaded from the
 * knowledge bucket and runs cancelled on `<prefix>.runs.<runId>.cancel`.
 */
export const executeService: ServiceDefinition<typeof ExecuteConfigSchema> = {
  name: "execute",
  version: "0.1.0",
  healthPort: 8081,
  description: "Runs agents behind the validation layer",
  config: ExecuteConfigSchema,
  async start(context) {
    const { config, logger, nc, subjects } = context;
    const providers = ModelProviders.fromConfig(config);
    if (providers.names.length === 0) {
      logger.warn(
        "no model provider is configured (OPENAI_API_KEY, OPENAI_BASE_URL or PATINOX_PROVIDERS): runs will fail with config_invalid",
      );
    } else {
      logger.info({ providers: providers.names }, "model providers configured");
    }
    // Added first, so it runs last: no run or job is left to call a model.
    context.onShutdown(() => providers.close());
    const streams = installationStreams({
      prefix: subjects.prefix,
      replicas: config.PATINOX_STREAM_REPLICAS,
      resultsMaxAgeMs: config.PATINOX_RESULTS_MAX_AGE_MS,
    });
    const jsm = await jetstreamManager(nc);
    if (await createTelemetryStreamIfMissing(jsm, streams.telemetry)) {
      logger.info({ stream: streams.telemetry.name }, "telemetry stream created");
    }
    const publisher = new TelemetryPublisher({
      nc,
      subjects,
      service: "execute",
      logger,
    });
    // Last added runs first: events of the runs that just finished are flushed before NATS drains.
    context.onShutdown(async () => {
      await publisher.flush(2_000);
      publisher.close();
    });
    const telemetry = new ExecuteTelemetry({
      publisher,
      tracer: context.telemetry.tracer,
      service: "execute",
    });
    const definitions = new AgentDefinitions({
      knowledge: context.knowledge,
      subjects,
      logger,
      onInvalid: (rejection) =>
        telemetry.definitionInvalid({ ...rejection, issues: [...rejection.issues] }),
    });
    await context.supervisor.spawn(definitionWatcher(definitions));

    const guards = new RunGuards({
      knowledge: context.knowledge,
      breaker: config.PATINOX_BREAKER,
      retry: config.PATINOX_MODEL_RETRY,
      lease: config.PATINOX_RATE_LEASE,
      budgetRefreshMs: config.PATINOX_BUDGET_REFRESH_MS,
      logger,
      onBreakerStateChange: (transition) => telemetry.breakerState(transition),
    });
    await context.supervisor.spawn(breakerWatcher(guards.breakers));
    // Added before the jobs' hook, so it runs after it: the last runs' budget charges are written.
    context.onShutdown(() => guards.flush());

    const runs = new RunsInFlight();
    const cancellations = listenForCancellations(nc, subjects, runs, logger);
    // Cancels keep arriving while in-flight runs finish; they stop only after (hooks run then).
    context.onShutdown(() => cancellations.unsubscribe());

    const runner = new AgentRunner({
      definitions,
      providers,
      prices: new PriceTable(config.PATINOX_MODEL_PRICES ?? {}),
      gates: new AgentGates(),
      runs,
      callTool: (subject, args, options) => callTool(nc, subject, args, options),
      logger,
      telemetry,
      guards,
    });
    context.addEndpoint({
      name: "run",
      subject: subjects.agentRunAll,
      request: RunRequest,
      description: "run an agent: request/reply, queue group execute",
      handle: (request, { subject, signal, headers }) =>
        runner.run(subject.split(".").at(-2) ?? "", request, { shutdown: signal, headers }),
    });

    await ensureStream(jsm, streams.jobs);
    await ensureStream(jsm, streams.results);
    const jobs = new JobWorker({
      nc,
      js: jetstream(nc),
      jsm,
      subjects,
      jobsStream: streams.jobs.name,
      resultsStream: streams.results.name,
      deadLetters: await DeadLetterSink.open(nc, {
        prefix: subjects.prefix,
        replicas: config.PATINOX_STREAM_REPLICAS,
      }),
      run: (agent, request, origin) => runner.run(agent, request, origin),
      logger,
      concurrency: config.PATINOX_JOB_CONCURRENCY,
      ackWaitMs: config.PATINOX_JOB_ACK_WAIT_MS,
      shutdown: afterDeadline(context.signal, config.PATINOX_SHUTDOWN_DEADLINE_MS),
    });
    await jobs.start();
    // No new jobs once shutdown begins; those in flight finish (or are handed back) in the hook.
    context.signal.addEventListener("abort", () => void jobs.stopPulling(), { once: true });
    context.onShutdown(() => jobs.stop());
  },
};

/** A signal that aborts `deadlineMs` after `signal` does: when in-flight work must give up. */
function afterDeadline(signal: AbortSignal, deadlineMs: number): AbortSignal {
  const controller = new AbortController();
  // Every job in flight listens to it.
  setMaxListeners(0, controller.signal);
  signal.addEventListener(
    "abort",
    () => setTimeout(() => controller.abort(signal.reason), deadlineMs).unref(),
    { once: true },
  );
  return controller.signal;
}
