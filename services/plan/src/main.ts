import { runService } from "@patinox/runtime";
import { planService } from "./service.ts";

await runService(planService);
