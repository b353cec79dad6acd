export { executeService } from "./service.ts";
