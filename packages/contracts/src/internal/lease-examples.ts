import type { z } from "zod";
import type { LeaseRecord } from "../lease-record.ts";

// A hand-written valid lease for the examples in `../examples.ts`.

/** 2025-03-14T09:26:53.589Z, the instant of the other examples, in epoch milliseconds. */
const nowMs = 1_741_944_413_589;

/** Monitor's intake lease, held and just renewed. */
export const leaseExamples: z.input<typeof LeaseRecord>[] = [
  {
    v: 1,
    service: "monitor",
    shard: "0",
    holder: "monitor-7d9f-4kq2x-a1b2c3",
    epoch: 3,
    expiresAt: nowMs + 15_000,
    renewedAt: nowMs,
  },
];
