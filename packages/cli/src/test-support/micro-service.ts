import type { NatsConnection } from "@nats-io/nats-core";
import { type Service, Svcm } from "@nats-io/services";

/** What {@link registerService} registers. */
export interface TestServiceSpec {
  readonly name: string;
  readonly version?: string;
  readonly metadata?: Record<string, string>;
  /** Endpoint names; each answers on `<prefix>.svc.<name>.<endpoint>` with an empty reply. */
  readonly endpoints?: readonly string[];
}

/**
 * Registers a real NATS micro service (answering `$SRV.PING/INFO/STATS`) the way the service
 * host does, without the rest of a Patinox service. Dispose with `await using`.
 */
export async function registerService(
  nc: NatsConnection,
  spec: TestServiceSpec,
): Promise<Service & AsyncDisposable> {
  const service = await new Svcm(nc).add({
    name: spec.name,
    version: spec.version ?? "0.1.0",
    description: `test ${spec.name}`,
    ...(spec.metadata ? { metadata: spec.metadata } : {}),
  });
  const prefix = spec.metadata?.prefix ?? "patinox";
  for (const endpoint of spec.endpoints ?? []) {
    service.addEndpoint(endpoint, {
      subject: `${prefix}.svc.${spec.name}.${endpoint}`,
      handler: (_error, msg) => msg.respond(),
    });
  }
  return Object.assign(service, {
    [Symbol.asyncDispose]: async () => {
      await service.stop();
    },
  });
}
