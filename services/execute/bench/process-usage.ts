import { readFileSync } from "node:fs";

/**
 * Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`): 100 on every Linux
 * this runs on (it is fixed at 100 for user space by the kernel's `USER_HZ`).
 */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, from `/proc/<pid>/stat`. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15, i.e. 11 and 12 after the state (field 3).
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`unreadable /proc/${pid}/stat`);
  return ticks / TICKS_PER_SECOND;
}

/** Resident set size of a process now, in bytes (`VmRSS` of `/proc/<pid>/status`). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kib) * 1024;
}

/** CPU used by named processes over a stretch of time, in cores (1 = one core busy). */
export class CpuMeter {
  readonly #pids: ReadonlyMap<string, number>;
  readonly #start: ReadonlyMap<string, number>;
  readonly #startedAt: number;

  constructor(pids: ReadonlyMap<string, number>) {
    this.#pids = pids;
    this.#start = new Map([...pids].map(([name, pid]) => [name, cpuSeconds(pid)]));
    this.#startedAt = performance.now();
  }

  /** CPU seconds of each process since construction, and the wall time in seconds. */
  read(): { readonly wallSeconds: number; readonly cpu: Readonly<Record<string, number>> } {
    const wallSeconds = (performance.now() - this.#startedAt) / 1000;
    const cpu: Record<string, number> = {};
    for (const [name, pid] of this.#pids)
      cpu[name] = cpuSeconds(pid) - (this.#start.get(name) ?? 0);
    return { wallSeconds, cpu };
  }
}
