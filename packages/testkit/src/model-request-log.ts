import type { ModelRequestRecord, MutableRequestRecord } from "./model-request-record.ts";

/**
 * The requests a model server has received, and promises for tests that must wait for one to
 * arrive or settle (the server answers asynchronously, so polling would make tests flaky).
 */
export class ModelRequestLog {
  readonly #records: MutableRequestRecord[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #keep: boolean;
  #closed = false;

  /** With `keep` false nothing is stored, so a long-running server's memory stays flat. */
  constructor(keep: boolean) {
    this.#keep = keep;
  }

  /** Every request kept so far, in arrival order. */
  get all(): readonly ModelRequestRecord[] {
    return this.#records;
  }

  add(record: MutableRequestRecord): void {
    if (this.#keep) this.#records.push(record);
    this.changed();
  }

  /** Tells waiters that a record changed. */
  changed(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  clear(): void {
    this.#records.length = 0;
  }

  /** Fails every pending and later wait: nothing will arrive any more. */
  close(): void {
    this.#closed = true;
    this.changed();
  }

  /** Resolves with request `index` (from 0) once it has arrived. */
  async received(index: number, timeoutMs: number): Promise<ModelRequestRecord> {
    return await this.#waitFor(() => this.#records[index], timeoutMs, `request ${index}`);
  }

  /** Resolves with request `index` once it is no longer pending. */
  async settled(index: number, timeoutMs: number): Promise<ModelRequestRecord> {
    const probe = () => {
      const record = this.#records[index];
      return record && record.outcome !== "pending" ? record : undefined;
    };
    return await this.#waitFor(probe, timeoutMs, `request ${index} to settle`);
  }

  async #waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    if (!this.#keep) throw new Error("ModelServer: requests are not recorded (record: false)");
    return await new Promise<T>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      const check = () => {
        const value = probe();
        if (value !== undefined) {
          finish();
          resolve(value);
        } else if (this.#closed) {
          finish();
          reject(new Error(`ModelServer: closed while waiting for ${what}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`ModelServer: waited ${timeoutMs} ms for ${what}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }
}
