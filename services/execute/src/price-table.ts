import type { ModelPrice } from "./execute-config.ts";

/** Tokens of one model call. */
export interface TokenCounts {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/**
 * What model calls cost, from `PATINOX_MODEL_PRICES` (US dollars per million tokens, by model
 * name). A model not in the table costs 0: a missing price must not fail a run.
 */
export class PriceTable {
  readonly #prices: ReadonlyMap<string, ModelPrice>;

  constructor(prices: Readonly<Record<string, ModelPrice>> = {}) {
    this.#prices = new Map(Object.entries(prices));
  }

  /** The cost of `tokens` on `model`, in US dollars. */
  cost(model: string, tokens: TokenCounts): number {
    const price = this.#prices.get(model);
    if (price === undefined) return 0;
    return (
      (tokens.inputTokens * price.inputPerMTok + tokens.outputTokens * price.outputPerMTok) /
      1_000_000
    );
  }
}
