/** The four services of the loop, in start order: Monitor, Analyze, Plan and Execute. */
export const PATINOX_SERVICES = ["execute", "monitor", "analyze", "plan"] as const;

/** One of {@link PATINOX_SERVICES}; also each service's `$SRV` name and queue group. */
export type PatinoxServiceName = (typeof PATINOX_SERVICES)[number];
