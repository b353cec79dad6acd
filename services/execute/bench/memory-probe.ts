/**
 * Preloaded by the bench into the measured servers (Execute and the baseline alike, with
 * `--expose-gc --import`), never part of Execute itself: on SIGUSR2 it runs a full garbage
 * collection and appends one JSON line of `process.memoryUsage()` to `BENCH_MEMORY_FILE`, so
 * the bench can tell memory a run holds from garbage not yet collected. With
 * `BENCH_HEAP_SNAPSHOTS=1` it also writes a heap snapshot beside that file after the GC (what a
 * held run keeps alive, object by object: compare the idle and the held snapshot).
 */
import { appendFileSync } from "node:fs";
import { writeHeapSnapshot } from "node:v8";

/** One probe's answer. */
export interface MemoryReading {
  readonly probe: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

const file = process.env.BENCH_MEMORY_FILE;
const collect = (globalThis as { gc?: () => void }).gc;
if (file !== undefined && collect !== undefined) {
  let probe = 0;
  process.on("SIGUSR2", () => {
    collect();
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    const reading: MemoryReading = { probe: ++probe, rss, heapUsed, external, arrayBuffers };
    appendFileSync(file, `${JSON.stringify(reading)}\n`);
    if (process.env.BENCH_HEAP_SNAPSHOTS === "1") {
      writeHeapSnapshot(`${file}.${probe}.heapsnapshot`);
    }
  });
}
