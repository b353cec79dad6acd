import type { Supervisor } from "@patinox/actors";
import { type StatusReply, StatusRequest } from "@patinox/contracts";
import type { z } from "zod";
import type { EndpointSpec } from "./endpoint.ts";
import { type ReadinessCheck, runChecks } from "./health-server.ts";

/** What the status endpoint reports on. */
export interface StatusSource {
  readonly service: string;
  readonly version: string;
  readonly instanceId: string;
  readonly subject: string;
  readonly bucket: string;
  readonly startedAt: Date;
  readonly supervisor: Supervisor;
  readonly checks: () => readonly ReadinessCheck[];
}

/**
 * `<prefix>.svc.<service>.status`: this instance's version, uptime, readiness (each check)
 * and actor tree. Every instance answers its own status, so the endpoint has no queue group.
 */
export function statusEndpoint(
  source: StatusSource,
): EndpointSpec<typeof StatusRequest, z.input<typeof StatusReply>> {
  return {
    name: "status",
    subject: source.subject,
    queue: "",
    request: StatusRequest,
    description: "this instance's status and actor tree",
    handle: async () => {
      const results = await runChecks(source.checks(), 2_000);
      return {
        v: 1,
        service: source.service,
        instanceId: source.instanceId,
        version: source.version,
        startedAt: source.startedAt.toISOString(),
        uptimeMs: Date.now() - source.startedAt.getTime(),
        ready: results.every((c) => c.ok),
        checks: results,
        actors: source.supervisor.status(),
        bucket: source.bucket,
      };
    },
  };
}
