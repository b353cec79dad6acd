export { binomialDispersion } from "./dispersion.ts";
export type { GroupedObservation, MannWhitneyTest } from "./mann-whitney.ts";
export { mannWhitneyGrouped, mannWhitneyU } from "./mann-whitney.ts";
export { normalCdf, normalQuantile, normalSf } from "./normal.ts";
export { StatisticsArgumentError } from "./statistics-argument-error.ts";
export type {
  ProportionSample,
  TwoProportionOptions,
  TwoProportionTest,
} from "./two-proportion.ts";
export { twoProportionZTest } from "./two-proportion.ts";
export type { ProportionInterval } from "./wilson.ts";
export { wilsonInterval } from "./wilson.ts";
