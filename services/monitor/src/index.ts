/**
 * Monitor: the service, and the pure window folding it is built on (for tests, benchmarks and
 * readers that need the same arithmetic).
 * @packageDocumentation
 */

export type { MonitorConfig } from "./monitor-config.ts";
export { MonitorConfigSchema } from "./monitor-config.ts";
export { monitorService } from "./service.ts";
export type { SequencedEvent, WindowAddress } from "./window-fold.ts";
export { BREAKER_WINDOW_AGENT, emptyWindow, foldEvents, windowOf } from "./window-fold.ts";
