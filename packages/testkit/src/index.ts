export type { TestCertificates } from "./certificates.ts";
export { createTestCertificates } from "./certificates.ts";
export { freePort } from "./free-port.ts";
export type { NatsClusterOptions } from "./nats-cluster.ts";
export { NatsCluster } from "./nats-cluster.ts";
export type { NatsServerOptions } from "./nats-server.ts";
export { NatsServer, natsServerBin } from "./nats-server.ts";
