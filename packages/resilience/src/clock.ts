/**
 * Wall-clock time in epoch milliseconds. The shared records compare times written by different
 * replicas, so the guards use the wall clock (replicas are assumed NTP-synchronised to well
 * under a cool-down); tests inject their own.
 */
export type WallClock = () => number;

/** `Date.now`. */
export const systemClock: WallClock = () => Date.now();
