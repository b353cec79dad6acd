export { monitorService } from "./service.ts";
