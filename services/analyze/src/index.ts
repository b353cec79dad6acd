export { analyzeService } from "./service.ts";
