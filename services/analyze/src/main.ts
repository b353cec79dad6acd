import { runService } from "@patinox/runtime";
import { analyzeService } from "./service.ts";

await runService(analyzeService);
