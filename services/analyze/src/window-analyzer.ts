import type { ActorDefinition } from "@patinox/actors";
import { KnowledgeKeys, MetricWindow } from "@patinox/contracts";
import type { Knowledge } from "@patinox/knowledge";
import type { Logger } from "@patinox/runtime";
import type { AgentAnalyzer } from "./agent-analyzer.ts";
import type { AnalyzeSettings } from "./analyze-config.ts";
import type { EvolutionJudge } from "./evolution-judge.ts";
import type { FindingStore } from "./finding-store.ts";
import { WindowCache } from "./window-cache.ts";

/** How old an owed event must be before the tick republishes it (its writer may be at it). */
const OUTBOX_GRACE_MS = 5_000;

/** What the window analyzer is told. */
export type WindowAnalyzerMessage =
  | { readonly type: "evaluate"; readonly agent: string }
  | { readonly type: "tick" }
  | { readonly type: "watch-ended"; readonly error: unknown };

/** What the window analyzer needs. */
export interface WindowAnalyzerOptions {
  readonly knowledge: Knowledge;
  readonly analyzer: AgentAnalyzer;
  readonly store: FindingStore;
  readonly evolution: EvolutionJudge;
  readonly settings: AnalyzeSettings;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * The actor that runs Analyze: it watches `metrics.>` (a new incarnation replays every current
 * window first), evaluates an agent shortly after its windows change (debounced, so a burst
 * of updates is one evaluation) and every agent on a timer, and on each tick republishes any
 * finding events a crash left owed and judges applied plans (the evolution verdict). Evaluations run one at a time. A malformed window record
 * is logged and skipped; a failed evaluation is logged and retried on the next tick; only the
 * watch ending makes the actor crash, so its supervisor restarts it with a fresh watch.
 */
export function windowAnalyzer(
  options: WindowAnalyzerOptions,
): ActorDefinition<WindowAnalyzerMessage> {
  const { knowledge, analyzer, store, evolution, settings, logger } = options;
  const now = options.now ?? Date.now;
  const retainWindows =
    settings.detectors.currentWindows +
    Math.max(settings.detectors.baselineWindows, settings.detectors.budget_burn.paceWindows) +
    2;
  return {
    name: "window-analyzer",
    mailbox: { capacity: 10_000, overflow: "reject" },
    start(ctx) {
      const cache = new WindowCache();
      const scheduled = new Map<string, NodeJS.Timeout>();
      /** Tells the actor; false when it is stopping or its mailbox is full. */
      const tell = (message: WindowAnalyzerMessage): boolean => {
        try {
          ctx.self.tell(message);
          return true;
        } catch {
          // Stopping, or the mailbox is full: the next tick evaluates every agent anyway.
          return false;
        }
      };
      const schedule = (agent: string): void => {
        if (scheduled.has(agent) || ctx.signal.aborted) return;
        scheduled.set(
          agent,
          setTimeout(() => {
            scheduled.delete(agent);
            tell({ type: "evaluate", agent });
          }, settings.debounceMs),
        );
      };
      const watching = (async () => {
        for await (const change of knowledge.watch(KnowledgeKeys.allMetrics, MetricWindow, {
          signal: ctx.signal,
        })) {
          if (change.kind === "invalid") {
            logger.error(
              {
                key: change.key,
                revision: change.revision,
                code: change.error.code,
                err: change.error,
              },
              "skipping a malformed metric window",
            );
            continue;
          }
          if (change.kind === "delete") {
            const agent = cache.deleteKey(change.key);
            if (agent !== undefined) schedule(agent);
            continue;
          }
          const keyAgent = change.key.split(".")[1];
          if (change.value.agent !== keyAgent) {
            logger.error(
              {
                key: change.key,
                revision: change.revision,
                code: "record_invalid",
                agent: change.value.agent,
              },
              "skipping a metric window whose agent does not match its key",
            );
            continue;
          }
          cache.put(change.value);
          schedule(change.value.agent);
        }
      })().then(
        () => {
          if (!ctx.signal.aborted)
            tell({ type: "watch-ended", error: new Error("the metrics watch ended") });
        },
        (error: unknown) => {
          if (!ctx.signal.aborted) tell({ type: "watch-ended", error });
        },
      );
      // One tick at a time in the mailbox: a slow tick must not pile up more behind it.
      let tickQueued = false;
      const timer = setInterval(() => {
        if (!tickQueued) tickQueued = tell({ type: "tick" });
      }, settings.intervalMs);

      const evaluate = async (agent: string): Promise<void> => {
        try {
          const report = await analyzer.evaluate(agent, cache.windowsOf(agent));
          logger.debug(
            {
              agent,
              answers: report.outcomes.length,
              written: report.written,
              events: report.events,
            },
            "agent evaluated",
          );
        } catch (error) {
          logger.error(
            { agent, err: error },
            "evaluating an agent failed; retrying on the next tick",
          );
        }
      };

      return {
        async receive(message) {
          switch (message.type) {
            case "evaluate":
              await evaluate(message.agent);
              return;
            case "tick":
              tickQueued = false;
              cache.prune(now(), retainWindows);
              for (const agent of cache.agents()) await evaluate(agent);
              try {
                await store.flushPending(now(), OUTBOX_GRACE_MS);
              } catch (error) {
                logger.error(
                  { err: error },
                  "republishing owed finding events failed; retrying on the next tick",
                );
              }
              try {
                await evolution.judgeAll();
              } catch (error) {
                logger.error(
                  { err: error },
                  "judging applied plans failed; retrying on the next tick",
                );
              }
              return;
            case "watch-ended":
              throw message.error;
          }
        },
        async stop() {
          clearInterval(timer);
          for (const t of scheduled.values()) clearTimeout(t);
          scheduled.clear();
          await watching;
        },
      };
    },
  };
}
