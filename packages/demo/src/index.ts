/**
 * The demo's pieces, for tests that run the same loop (test/closed-loop.test.ts): the agent as
 * a user keeps it in a behaviour repository, the order tool that is slow at busy moments, and
 * the traffic that asks it questions.
 * @packageDocumentation
 */

export { BehaviourRepo, DEMO_AGENT_YAML } from "./behaviour-repo.ts";
export { FlakyOrderTool, type FlakyOrderToolOptions } from "./flaky-tool.ts";
export { Traffic } from "./traffic.ts";
