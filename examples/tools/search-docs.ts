/**
 * Example tool: searches a small help centre by keywords. Run it next to the local stack:
 *
 *   pnpm --filter @patinox/examples tool:search-docs
 *
 * It serves `patinox.tools.search_docs` (NATS_URL, PATINOX_PREFIX as the services read them).
 */
import { connect } from "@nats-io/transport-node";
import { serveTool } from "@patinox/tools";

const ARTICLES = [
  {
    id: "returns",
    title: "Returning an item",
    text: "Items can be returned within 30 days with the receipt.",
  },
  {
    id: "shipping",
    title: "Shipping times",
    text: "Orders ship within 2 working days; delivery takes 3 to 5 days.",
  },
  {
    id: "warranty",
    title: "Warranty",
    text: "Electrical items carry a two-year warranty against defects.",
  },
];

const nc = await connect({ servers: (process.env.NATS_URL ?? "nats://127.0.0.1:4222").split(",") });
const tool = await serveTool<{ query: string; limit?: number }>(nc, {
  name: "search_docs",
  description: "Search the help centre; returns the best matching articles.",
  parameters: {
    type: "object",
    properties: {
      query: { type: "string", minLength: 2, description: "keywords" },
      limit: { type: "integer", minimum: 1, maximum: 5 },
    },
    required: ["query"],
    additionalProperties: false,
  },
  ...(process.env.PATINOX_PREFIX ? { prefix: process.env.PATINOX_PREFIX } : {}),
  handler: ({ query, limit = 2 }) => {
    const words = query.toLowerCase().split(/\W+/).filter(Boolean);
    return ARTICLES.map((a) => ({
      ...a,
      score: words.filter((w) => `${a.title} ${a.text}`.toLowerCase().includes(w)).length,
    }))
      .filter((a) => a.score > 0)
      .sort((x, y) => y.score - x.score)
      .slice(0, limit);
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
