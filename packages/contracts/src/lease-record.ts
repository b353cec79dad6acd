import { z } from "zod";
import { NameToken } from "./name-token.ts";
import { Label, SchemaVersion } from "./primitives.ts";

/**
 * Who owns a shard of a service's work, under `leases.<service>.<shard>` (Monitor's telemetry
 * intake: `leases.monitor.0`). Taken and renewed with compare-and-set; another instance may take
 * it once `expiresAt` has passed. `epoch` grows by one each time the holder changes.
 */
export const LeaseRecord = z
  .object({
    v: SchemaVersion,
    service: NameToken,
    shard: NameToken,
    /** The instance id of the holder. */
    holder: Label,
    /** Hand-overs so far, from 1. */
    epoch: z.int().min(1),
    /** Wall-clock expiry, epoch milliseconds; 0 once the holder released it. */
    expiresAt: z.int().nonnegative(),
    /** When the holder last took or renewed it, epoch milliseconds. */
    renewedAt: z.int().nonnegative(),
  })
  .describe("Which instance of a service owns one shard of its work, until when.");

/** A lease record. */
export type LeaseRecord = z.output<typeof LeaseRecord>;
