import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { ServiceDefinition } from "@patinox/runtime";
import { ensureStream, installationStreams } from "@patinox/streams";
import { AgentAnalyzer } from "./agent-analyzer.ts";
import { AnalyzeConfigSchema, analyzeSettings } from "./analyze-config.ts";
import { EvolutionJudge } from "./evolution-judge.ts";
import { FindingStore } from "./finding-store.ts";
import { TraceSampler } from "./trace-sampler.ts";
import { windowAnalyzer } from "./window-analyzer.ts";

/** Options of {@link createAnalyzeService}. */
export interface AnalyzeServiceOptions {
  /** The clock the detectors evaluate at (tests move it by hand). @default Date.now */
  readonly now?: () => number;
}

/**
 * Analyze: watches the metric windows, runs the detectors, and keeps findings under
 * `findings.<agent>.<fingerprint>` with their events on `<prefix>.events.finding.<agent>`.
 */
export function createAnalyzeService(
  options: AnalyzeServiceOptions = {},
): ServiceDefinition<typeof AnalyzeConfigSchema> {
  const now = options.now ?? Date.now;
  return {
    name: "analyze",
    version: "0.1.0",
    healthPort: 8083,
    description: "Finds patterns in the knowledge windows with real statistics",
    config: AnalyzeConfigSchema,
    async start(context) {
      const { config, knowledge, logger, nc, subjects } = context;
      const settings = analyzeSettings(config);
      const dryRun = Object.entries(settings.detectors)
        .filter(([, s]) => typeof s === "object" && s.dryRun)
        .map(([kind]) => kind);
      logger.info(
        { intervalMs: settings.intervalMs, resolveAfter: settings.resolveAfter, dryRun },
        "analyze settings",
      );
      const streams = installationStreams({
        prefix: config.PATINOX_PREFIX,
        replicas: config.PATINOX_STREAM_REPLICAS,
      });
      const ensured = await ensureStream(await jetstreamManager(nc), streams.events);
      logger.info({ stream: streams.events.name, action: ensured.action }, "events stream ready");
      const js = jetstream(nc);
      const sampler = new TraceSampler({ js, prefix: config.PATINOX_PREFIX, logger });
      const store = new FindingStore({ knowledge, js, subjects, logger, sampler });
      const analyzer = new AgentAnalyzer({ knowledge, store, settings, logger, now });
      await context.supervisor.spawn(
        windowAnalyzer({
          knowledge,
          analyzer,
          store,
          evolution: new EvolutionJudge({ knowledge, settings: settings.evolution, logger, now }),
          settings,
          logger,
          now,
        }),
      );
    },
  };
}

/** Analyze on the system clock. */
export const analyzeService: ServiceDefinition<typeof AnalyzeConfigSchema> = createAnalyzeService();
