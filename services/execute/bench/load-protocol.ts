/** What the bench asks the load generator to do: one closed-loop phase. */
export interface LoadPhase {
  readonly kind: "phase";
  /** The request subject (Execute's agent subject or the baseline's). */
  readonly subject: string;
  /** The request body, JSON. */
  readonly body: string;
  /** Requests kept in flight: each reply sends the next request. */
  readonly inFlight: number;
  /** Requests sent in all. */
  readonly requests: number;
  /** A request not answered within this counts as failed. */
  readonly timeoutMs: number;
}

/** The outcome of one phase. Latencies in milliseconds. */
export interface LoadResult {
  readonly kind: "result";
  readonly requests: number;
  readonly inFlight: number;
  /** Requests that timed out or got anything but a completed run. */
  readonly failures: number;
  /** Up to three failure descriptions, for the report. */
  readonly failureSamples: readonly string[];
  /** From the first request to the last reply. */
  readonly elapsedMs: number;
  /**
   * Completed runs per second while the load was full: completed replies received until the
   * last request was sent, over that time. The drain at the end (fewer than `inFlight` outstanding) is left out,
   * so a closed loop of `inFlight` requests against latency `L` measures `inFlight / L`.
   */
  readonly throughput: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** The load generator's messages to the bench. */
export type LoadMessage = { readonly kind: "ready" } | LoadResult | LoadFailure;

/** The phase could not run at all (e.g. the NATS connection failed). */
export interface LoadFailure {
  readonly kind: "failed";
  readonly message: string;
}
