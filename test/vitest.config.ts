import { mergeConfig } from "vitest/config";
import { sharedConfig } from "../vitest.shared.ts";

export default mergeConfig(sharedConfig, { test: { testTimeout: 90_000, hookTimeout: 60_000 } });
