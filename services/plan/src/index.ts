export type { PlanConfig } from "./plan-config.ts";
export { PlanConfigSchema } from "./plan-config.ts";
export type { ControllerDeps, ControllerOptions } from "./plan-controller.ts";
export { PlanController, retryAt } from "./plan-controller.ts";
export { branchFor, planIdFor, revertBranchFor, revertPlanIdFor } from "./plan-ids.ts";
export { PlanStore, withStatus } from "./plan-store.ts";
export { planMarker, renderBody, titleFor } from "./pr-body.ts";
export { planService } from "./service.ts";
