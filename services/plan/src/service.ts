import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { ActorDefinition } from "@patinox/actors";
import type { AgentDefinition, Finding } from "@patinox/contracts";
import { planInstructionChange } from "@patinox/planners";
import { pause, type ServiceDefinition } from "@patinox/runtime";
import { DeadLetterSink, ensureStream, installationStreams } from "@patinox/streams";
import OpenAI from "openai";
import { FindingConsumer } from "./finding-consumer.ts";
import { type PlanConfig, PlanConfigSchema } from "./plan-config.ts";
import { PlanController } from "./plan-controller.ts";
import { PlanStore } from "./plan-store.ts";
import { PrSlots } from "./pr-slots.ts";
import { sinkFromConfig } from "./sinks.ts";
import { startWebhookServer } from "./webhook-server.ts";

/**
 * Plan: turns findings into reviewed pull requests (or local git branches), tracks them to
 * merge, applies merged definitions when configured to, reads Analyze's verdicts and reverts
 * regressions. A durable consumer of finding events plus a level-triggered reconcile at start
 * and on a timer, against the knowledge bucket.
 */
export const planService: ServiceDefinition<typeof PlanConfigSchema> = {
  name: "plan",
  version: "0.1.0",
  healthPort: 8084,
  description: "Turns findings into reviewed pull requests and verifies their effect",
  config: PlanConfigSchema,
  async start(context) {
    const { config, logger, nc, knowledge, subjects } = context;
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const streams = installationStreams({
      prefix: config.PATINOX_PREFIX,
      replicas: config.PATINOX_STREAM_REPLICAS,
    });
    const ensured = await ensureStream(jsm, streams.events);
    logger.info({ stream: streams.events.name, action: ensured.action }, "events stream ready");
    const deadLetters = await DeadLetterSink.open(nc, {
      prefix: config.PATINOX_PREFIX,
      replicas: config.PATINOX_STREAM_REPLICAS,
    });
    const sink = sinkFromConfig(config, logger);
    const store = new PlanStore(knowledge, js, subjects, logger);
    const controller = new PlanController(
      { knowledge, store, sink, logger, slots: new PrSlots(knowledge) },
      {
        agentsPath: config.PATINOX_PLAN_AGENTS_PATH,
        labels: config.PATINOX_PLAN_LABELS,
        ...(config.PATINOX_PLAN_TRACE_URL ? { traceUrl: config.PATINOX_PLAN_TRACE_URL } : {}),
        applyOnMerge: config.PATINOX_PLAN_APPLY_ON_MERGE,
        maxOpenPrs: config.PATINOX_PLAN_MAX_OPEN_PRS,
        maxPrsPerHour: config.PATINOX_PLAN_MAX_PRS_PER_HOUR,
        retryBaseMs: config.PATINOX_PLAN_RETRY_BASE_MS,
        retryMaxMs: config.PATINOX_PLAN_RETRY_MAX_MS,
        models: config.PATINOX_PLAN_MODELS,
        ...(config.PATINOX_PLAN_LLM_MODEL ? { fallbackPlanner: llmPlanner(config) } : {}),
      },
    );
    const consumer = new FindingConsumer({
      js,
      jsm,
      stream: streams.events.name,
      durable: config.PATINOX_PLAN_CONSUMER,
      filterSubject: subjects.eventsOf("finding"),
      ackWaitMs: config.PATINOX_PLAN_ACK_WAIT_MS,
      deadLetters,
      logger,
      handle: (event) => controller.onFindingEvent(event),
    });
    await consumer.ensure();
    context.addReadinessCheck({
      name: "finding-consumer",
      async check() {
        const info = await jsm.consumers.info(streams.events.name, config.PATINOX_PLAN_CONSUMER);
        return {
          ok: true,
          detail: `pending ${info.num_pending}, ack pending ${info.num_ack_pending}`,
        };
      },
    });

    await context.supervisor.spawn(loopActor("finding-consumer", (signal) => consumer.run(signal)));
    // Level-triggered: a full reconcile at start (catches whatever happened while down), then on a timer.
    await context.supervisor.spawn(
      loopActor("reconciler", (signal) =>
        every(config.PATINOX_PLAN_RECONCILE_MS, signal, () => controller.reconcileAll()),
      ),
    );
    await context.supervisor.spawn(
      loopActor("pr-poller", (signal) =>
        every(
          config.PATINOX_PLAN_POLL_MS,
          signal,
          () => controller.pollPlans(),
          config.PATINOX_PLAN_POLL_MS,
        ),
      ),
    );
    if (config.PATINOX_PLAN_WEBHOOK_PORT > 0 && config.PATINOX_PLAN_WEBHOOK_SECRET) {
      const webhooks = await startWebhookServer({
        port: config.PATINOX_PLAN_WEBHOOK_PORT,
        secret: config.PATINOX_PLAN_WEBHOOK_SECRET.reveal(),
        logger,
        onPullRequest: (branch) => controller.onBranchEvent(branch),
      });
      context.onShutdown(() => webhooks.close());
      logger.info({ port: webhooks.port }, "webhook endpoint listening on /webhooks/github");
    }
    logger.info(
      {
        sink: config.PATINOX_PLAN_SINK,
        repository: config.PATINOX_PLAN_GITHUB_REPO ?? config.PATINOX_PLAN_GIT_REPO,
        base: config.PATINOX_PLAN_BASE_BRANCH,
        applyOnMerge: config.PATINOX_PLAN_APPLY_ON_MERGE,
      },
      "proposals configured",
    );
  },
};

/** The LLM planner of instructions, with a real `openai` client; the key is revealed only into it. */
function llmPlanner(config: PlanConfig) {
  const apiKey = (config.PATINOX_PLAN_LLM_API_KEY ?? config.OPENAI_API_KEY)?.reveal() ?? "unset";
  const client = new OpenAI({
    apiKey,
    ...(config.PATINOX_PLAN_LLM_BASE_URL ? { baseURL: config.PATINOX_PLAN_LLM_BASE_URL } : {}),
  });
  const model = config.PATINOX_PLAN_LLM_MODEL ?? "";
  return (finding: Finding, definition: AgentDefinition) =>
    planInstructionChange(finding, definition, { client, model });
}

/** Runs `work` every `intervalMs` (first after `firstDelayMs`) until `signal` aborts; one failed round is logged by the controller. */
async function every(
  intervalMs: number,
  signal: AbortSignal,
  work: () => Promise<void>,
  firstDelayMs = 0,
): Promise<void> {
  await pause(firstDelayMs, signal);
  while (!signal.aborted) {
    await work();
    await pause(intervalMs, signal);
  }
}

interface LoopEnded {
  readonly error: unknown;
}

/**
 * An actor around a background loop: if the loop fails, the actor crashes on purpose so its
 * supervisor restarts it with backoff (unacked events come back; every step is idempotent).
 */
function loopActor(
  name: string,
  loop: (signal: AbortSignal) => Promise<void>,
): ActorDefinition<LoopEnded> {
  return {
    name,
    mailbox: { capacity: 1, overflow: "reject" },
    start(ctx) {
      const report = (error: unknown): void => {
        if (ctx.signal.aborted) return;
        try {
          ctx.self.tell({ error });
        } catch {
          // Stopping after all.
        }
      };
      const running = loop(ctx.signal).then(() => report(new Error(`${name} ended`)), report);
      return {
        receive(message) {
          throw message.error;
        },
        async stop() {
          await running;
        },
      };
    },
  };
}
