import type { Meter } from "@opentelemetry/api";

/**
 * Monitor's OpenTelemetry instruments (no-ops unless an exporter is configured) and the last
 * consumer figures, which `/readyz` and `status` also show.
 */
export class IntakeMetrics {
  #pending = 0;
  #ackPending = 0;
  #observedAt: number | undefined;
  readonly #folded;
  readonly #duplicates;
  readonly #late;
  readonly #dead;
  #totals = { folded: 0, duplicates: 0, late: 0, deadLettered: 0 };

  constructor(meter: Meter) {
    const pending = meter.createObservableGauge("patinox.monitor.consumer.pending", {
      description: "Telemetry events in the stream not yet delivered to Monitor's consumer",
      unit: "{event}",
    });
    const ackPending = meter.createObservableGauge("patinox.monitor.consumer.ack_pending", {
      description: "Telemetry events delivered to Monitor and not yet acked",
      unit: "{event}",
    });
    pending.addCallback((result) => {
      if (this.#observedAt !== undefined) result.observe(this.#pending);
    });
    ackPending.addCallback((result) => {
      if (this.#observedAt !== undefined) result.observe(this.#ackPending);
    });
    this.#folded = meter.createCounter("patinox.monitor.events.folded", {
      description: "Telemetry events counted into a window",
      unit: "{event}",
    });
    this.#duplicates = meter.createCounter("patinox.monitor.events.duplicates", {
      description: "Redelivered telemetry events skipped because their window already counts them",
      unit: "{event}",
    });
    this.#late = meter.createCounter("patinox.monitor.events.too_late", {
      description: "Telemetry events older than the window retention, acked and not counted",
      unit: "{event}",
    });
    this.#dead = meter.createCounter("patinox.monitor.events.dead_lettered", {
      description: "Telemetry events that failed their schema, terminated and dead-lettered",
      unit: "{event}",
    });
  }

  /** Records the consumer's figures from its latest info. */
  observeConsumer(pending: number, ackPending: number): void {
    this.#pending = pending;
    this.#ackPending = ackPending;
    this.#observedAt = Date.now();
  }

  /** Counts one folded batch. */
  folded(folded: number, duplicates: number, late: number): void {
    this.#folded.add(folded);
    this.#duplicates.add(duplicates);
    this.#late.add(late);
    this.#totals.folded += folded;
    this.#totals.duplicates += duplicates;
    this.#totals.late += late;
  }

  /** Counts one dead-lettered event. */
  deadLettered(code: string): void {
    this.#dead.add(1, { code });
    this.#totals.deadLettered += 1;
  }

  /** The consumer's last figures and this process's totals. */
  snapshot(): {
    pending: number;
    ackPending: number;
    observedAt: number | undefined;
    folded: number;
    duplicates: number;
    late: number;
    deadLettered: number;
  } {
    return {
      pending: this.#pending,
      ackPending: this.#ackPending,
      observedAt: this.#observedAt,
      ...this.#totals,
    };
  }
}
