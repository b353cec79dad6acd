import type { NatsConnection } from "@nats-io/nats-core";
import { type ServedTool, serveTool } from "@patinox/tools";

/** How long a call takes while the order system is busy: over 250 ms, well under 1.25 s. */
const BUSY_MS = 600;

/** How {@link FlakyOrderTool} behaves; the demo uses the defaults. */
export interface FlakyOrderToolOptions {
  /**
   * How long call number `call` (counted from 0) takes, in milliseconds; 0 answers at once.
   * Tests use it for an order system that is never busy, or one that gets worse.
   * @default 2 calls in every 5 take 600 ms
   */
  readonly delayMs?: (call: number) => number;
}

const busyTwoInFive = (call: number): number => (call % 5 < 2 ? BUSY_MS : 0);

/**
 * The order tool of the demo: answers at once, except 2 calls in every 5 (deterministically),
 * which take {@link BUSY_MS}. With the agent's 250 ms timeout those time out; with the timeout
 * the loop proposes (1,250 ms) none do.
 */
export class FlakyOrderTool {
  #calls = 0;
  #slow = 0;
  #served: ServedTool | undefined;

  static async serve(
    nc: NatsConnection,
    options: FlakyOrderToolOptions = {},
  ): Promise<FlakyOrderTool> {
    const tool = new FlakyOrderTool();
    const delayMs = options.delayMs ?? busyTwoInFive;
    tool.#served = await serveTool<{ orderId: string }>(nc, {
      name: "lookup_order",
      description: "Look up an order by its four-digit number.",
      parameters: {
        type: "object",
        properties: { orderId: { type: "string", minLength: 1 } },
        required: ["orderId"],
        additionalProperties: false,
      },
      handler: async ({ orderId }) => {
        const delay = delayMs(tool.#calls++);
        if (delay > 0) {
          tool.#slow++;
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
        return { orderId, status: "shipped", carrier: "DHL" };
      },
    });
    return tool;
  }

  summary(): string {
    return `${this.#calls} calls, ${this.#slow} of them slow (${BUSY_MS} ms)`;
  }

  /** Calls answered so far, and how many of them were slow. */
  get counts(): { readonly calls: number; readonly slow: number } {
    return { calls: this.#calls, slow: this.#slow };
  }

  async stop(): Promise<void> {
    await this.#served?.stop();
  }
}
