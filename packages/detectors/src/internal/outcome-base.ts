import type { FindingKind } from "@patinox/contracts";
import type { DetectorInput } from "../detector-input.ts";
import type { SpanTotals } from "../window-span.ts";

/** The fields every outcome of one detector run shares. */
export interface OutcomeBase {
  readonly kind: FindingKind;
  readonly agent: string;
  readonly metric: string;
  readonly target?: string;
  readonly throughWindow?: number;
}

/** The shared fields: `throughWindow` is the newest window of the current span. */
export function outcomeBase(
  kind: FindingKind,
  metric: string,
  input: DetectorInput,
  current: SpanTotals,
  target?: string,
): OutcomeBase {
  const through = current.windows.at(-1);
  return {
    kind,
    agent: input.agent,
    metric,
    ...(target === undefined ? {} : { target }),
    ...(through === undefined ? {} : { throughWindow: through }),
  };
}
