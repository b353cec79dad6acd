import type { NatsConnection } from "@nats-io/nats-core";

/** Requests in flight at once. */
const CONCURRENCY = 4;
/** Pause between one loop's requests. */
const PAUSE_MS = 150;

/** Steady traffic on one agent: a few loops, each asking a question and waiting for the answer. */
export class Traffic {
  readonly #nc: NatsConnection;
  readonly #subject: string;
  readonly #statuses = new Map<string, number>();
  #running = false;
  #loops: Promise<void>[] = [];

  constructor(nc: NatsConnection, agent: string) {
    this.#nc = nc;
    this.#subject = `patinox.agents.${agent}.run`;
  }

  /** Waits until the agent answers (Execute may still be starting), up to `timeoutMs`. */
  async ready(timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.#nc.request(this.#subject, JSON.stringify({ v: 1, input: "ping" }), {
          timeout: 5_000,
        });
        return;
      } catch (error) {
        if (Date.now() > until) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  start(): void {
    this.#running = true;
    this.#loops = Array.from({ length: CONCURRENCY }, (_, i) => this.#loop(i));
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.allSettled(this.#loops);
  }

  /** Runs by status, e.g. `812 completed, 3 failed`. */
  summary(): string {
    return [...this.#statuses].map(([status, n]) => `${n} ${status}`).join(", ") || "none";
  }

  async #loop(index: number): Promise<void> {
    for (let n = 0; this.#running; n++) {
      const orderId = String(1000 + ((index * 997 + n) % 9000));
      try {
        const reply = await this.#nc.request(
          this.#subject,
          JSON.stringify({
            v: 1,
            input: `Where is my order ${orderId}?`,
            callerId: `shop-${index}`,
          }),
          { timeout: 15_000 },
        );
        const body = reply.json<{ status?: string; error?: { code: string } }>();
        this.#count(body.status ?? `refused (${body.error?.code ?? "?"})`);
      } catch {
        this.#count("no answer");
      }
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }
  }

  #count(status: string): void {
    this.#statuses.set(status, (this.#statuses.get(status) ?? 0) + 1);
  }
}
