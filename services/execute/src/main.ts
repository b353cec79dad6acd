import { runService } from "@patinox/runtime";
import { executeService } from "./service.ts";

await runService(executeService);
