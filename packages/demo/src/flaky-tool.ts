import type { NatsConnection } from "@nats-io/nats-core";
import { type ServedTool, serveTool } from "@patinox/tools";

/** How long a call takes while the order system is busy: over 250 ms, well under 1.25 s. */
const BUSY_MS = 600;

/**
 * The order tool of the demo: answers at once, except 2 calls in every 5 (deterministically),
 * which take {@link BUSY_MS}. With the agent's 250 ms timeout those time out; with the timeout
 * the loop proposes (1,250 ms) none do.
 */
export class FlakyOrderTool {
  #calls = 0;
  #slow = 0;
  #served: ServedTool | undefined;

  static async serve(nc: NatsConnection): Promise<FlakyOrderTool> {
    const tool = new FlakyOrderTool();
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
        const busy = tool.#calls++ % 5 < 2;
        if (busy) {
          tool.#slow++;
          await new Promise((resolve) => setTimeout(resolve, BUSY_MS));
        }
        return { orderId, status: "shipped", carrier: "DHL" };
      },
    });
    return tool;
  }

  summary(): string {
    return `${this.#calls} calls, ${this.#slow} of them slow (${BUSY_MS} ms)`;
  }

  async stop(): Promise<void> {
    await this.#served?.stop();
  }
}
