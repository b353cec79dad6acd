import { Writable } from "node:stream";

/** One parsed JSON log line. */
export type LogRecord = Record<string, unknown> & { readonly msg?: string };

/** A log destination that keeps every line in memory, for asserting what a logger wrote. */
export class MemoryLog extends Writable {
  readonly lines: string[] = [];
  #pending = "";
  readonly #waiters = new Set<() => void>();

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    const text = this.#pending + chunk.toString();
    const parts = text.split("\n");
    this.#pending = parts.pop() ?? "";
    this.lines.push(...parts.filter((line) => line !== ""));
    for (const wake of this.#waiters) wake();
    done();
  }

  /** Everything written, as one string. */
  get text(): string {
    return this.lines.join("\n");
  }

  /** Every line parsed as JSON (pino writes one object per line). */
  records(): LogRecord[] {
    return this.lines.map((line) => JSON.parse(line) as LogRecord);
  }

  /** Waits for a record matching `test` (already written or yet to come). */
  async waitFor(test: (record: LogRecord) => boolean, timeoutMs = 10_000): Promise<LogRecord> {
    const find = () => this.records().find(test);
    const seen = find();
    if (seen) return seen;
    return await new Promise((resolve, reject) => {
      const check = () => {
        const found = find();
        if (!found) return;
        finish();
        resolve(found);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no matching log record within ${timeoutMs} ms; log:\n${this.text}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
    });
  }
}
