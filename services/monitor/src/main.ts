import { runService } from "@patinox/runtime";
import { monitorService } from "./service.ts";

await runService(monitorService);
