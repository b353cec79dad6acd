/**
 * Where a V8 CPU profile (`node --cpu-prof`, e.g. from `pnpm bench:execute --profile`) spends
 * its time: self time by package or workspace folder, then the hottest functions.
 *
 *   node --import tsx services/execute/bench/profile-summary.ts <file.cpuprofile> [top]
 *
 * Besides self time it prints the inclusive time of workspace functions (`packages/*`,
 * `services/*`): the time spent in them and everything they called synchronously (an awaited
 * continuation is a new stack, so it counts under whoever resumed it).
 */
import { readFile } from "node:fs/promises";

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

/** The package (`openai`, `@nats-io/nats-core`), workspace folder or runtime a URL belongs to. */
export function owner(url: string): string {
  if (url === "") return "(native / V8)";
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pnpm?.[1]) return pnpm[1];
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1]) return modules[1];
  const workspace = /\/((?:packages|services)\/[^/]+)\//.exec(url);
  if (workspace?.[1]) return workspace[1];
  if (url.startsWith("node:")) return "node: (core)";
  return url;
}

const [file, topArg] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write("usage: profile-summary.ts <file.cpuprofile> [top]\n");
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = profile.endTime - profile.startTime;
const parentOf = new Map<number, number>();
for (const node of profile.nodes) {
  for (const child of node.children ?? []) parentOf.set(child, node.id);
}
const isCore = (who: string) => who === "node: (core)" || who === "(native / V8)";
// Node's own code (sockets, fetch, streams) and native frames are charged to the nearest
// package or workspace frame that called them, e.g. socket writes to the NATS client.
const chargedTo = new Map<number, string>();
const charge = (id: number): string => {
  const known = chargedTo.get(id);
  if (known !== undefined) return known;
  const frame = byId.get(id)?.callFrame;
  let who = "(native / V8)";
  if (frame !== undefined) {
    who = /^\(.*\)$/.test(frame.functionName) ? frame.functionName : owner(frame.url);
    const parent = parentOf.get(id);
    if (isCore(who) && parent !== undefined) {
      const above = charge(parent);
      if (above !== "(root)") who = above;
    }
  }
  chargedTo.set(id, who);
  return who;
};
const byCaller = new Map<string, number>();
for (const [id, us] of selfUs) {
  const who = charge(id);
  byCaller.set(who, (byCaller.get(who) ?? 0) + us);
}
const byOwner = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const [id, us] of selfUs) {
  const frame = byId.get(id)?.callFrame;
  if (frame === undefined) continue;
  // V8's pseudo-frames: (idle), (program), (garbage collector), (root).
  const who = /^\(.*\)$/.test(frame.functionName) ? frame.functionName : owner(frame.url);
  byOwner.set(who, (byOwner.get(who) ?? 0) + us);
  const name = `${frame.functionName || "(anonymous)"}  ${who}${frame.url ? `:${frame.lineNumber + 1}` : ""}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
}
const busy = total - (byOwner.get("(idle)") ?? 0);
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
process.stdout.write(
  `${file}\nprofiled ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s (shares below are of busy time)\n\nby owner:\n`,
);
for (const [who, us] of sorted(byOwner).filter(([w]) => w !== "(idle)")) {
  process.stdout.write(`  ${pct(us)}  ${who}\n`);
}
process.stdout.write(
  "\nby owner, Node's own code charged to the package that called it (async resumptions stay under (root)):\n",
);
for (const [who, us] of sorted(byCaller).filter(([w]) => w !== "(idle)")) {
  process.stdout.write(`  ${pct(us)}  ${who}\n`);
}
process.stdout.write(`\ntop ${top} functions (self time):\n`);
for (const [name, us] of sorted(byFunction)
  .filter(([n]) => !n.startsWith("(idle)"))
  .slice(0, top)) {
  process.stdout.write(`  ${pct(us)}  ${name}\n`);
}

// Inclusive time of workspace frames: self time of the subtree, each function counted once per
// stack even when it recurses.
const inclusive = new Map<string, number>();
const frameName = (node: ProfileNode) =>
  `${node.callFrame.functionName || "(anonymous)"}  ${owner(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
const visit = (id: number, open: ReadonlySet<string>): number => {
  const node = byId.get(id);
  if (node === undefined) return 0;
  let us = selfUs.get(id) ?? 0;
  const name = frameName(node);
  const workspace = /\/(packages|services)\//.test(node.callFrame.url) && !open.has(name);
  const inner = workspace ? new Set([...open, name]) : open;
  for (const child of node.children ?? []) us += visit(child, inner);
  if (workspace) inclusive.set(name, (inclusive.get(name) ?? 0) + us);
  return us;
};
const root = profile.nodes[0];
if (root !== undefined) visit(root.id, new Set());
process.stdout.write(`\ntop ${top} workspace functions (inclusive time):\n`);
for (const [name, us] of sorted(inclusive).slice(0, top)) {
  process.stdout.write(`  ${pct(us)}  ${name}\n`);
}
