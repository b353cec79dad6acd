import { mergeConfig } from "vitest/config";
import { sharedConfig } from "../vitest.shared.ts";

// Building and starting real processes takes longer than a unit test's default budget.
export default mergeConfig(sharedConfig, { test: { testTimeout: 120_000, hookTimeout: 180_000 } });
