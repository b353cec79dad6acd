export { planService } from "./service.ts";
