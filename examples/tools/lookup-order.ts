/**
 * Example tool: looks up an order by id. Run it next to the local stack:
 *
 *   pnpm --filter @patinox/examples tool:lookup-order
 *
 * It serves `patinox.tools.lookup_order` (NATS_URL, PATINOX_PREFIX as the services read them).
 * `FAULT_DELAY_RATE` (0..1) makes that share of calls take `FAULT_DELAY_MS` (default 5000), to
 * give the loop a tool that times out.
 */
import { connect } from "@nats-io/transport-node";
import { serveTool, ToolError } from "@patinox/tools";

const ORDERS: Record<string, { status: string; items: string[]; total: number }> = {
  "1001": { status: "shipped", items: ["kettle"], total: 39.9 },
  "1002": { status: "processing", items: ["teapot", "cups"], total: 54.5 },
  "1003": { status: "delivered", items: ["grinder"], total: 89 },
};

const faultRate = Number(process.env.FAULT_DELAY_RATE ?? 0);
const faultDelayMs = Number(process.env.FAULT_DELAY_MS ?? 5_000);
const nc = await connect({ servers: (process.env.NATS_URL ?? "nats://127.0.0.1:4222").split(",") });
const tool = await serveTool<{ orderId: string }>(nc, {
  name: "lookup_order",
  description: "Look up an order by its id: status, items and total.",
  parameters: {
    type: "object",
    properties: {
      orderId: { type: "string", pattern: "^[0-9]{4}$", description: "four-digit order id" },
    },
    required: ["orderId"],
    additionalProperties: false,
  },
  ...(process.env.PATINOX_PREFIX ? { prefix: process.env.PATINOX_PREFIX } : {}),
  handler: async ({ orderId }) => {
    if (Math.random() < faultRate)
      await new Promise((resolve) => setTimeout(resolve, faultDelayMs));
    const order = ORDERS[orderId];
    if (!order) throw new ToolError(`no order ${orderId}`);
    return { orderId, ...order };
  },
});
console.log(JSON.stringify({ msg: "tool ready", subject: tool.subject }));
const stop = async () => {
  await tool.stop();
  await nc.drain();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
