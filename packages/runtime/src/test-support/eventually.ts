import { setTimeout as delay } from "node:timers/promises";

/** Polls `probe` until it returns true; fails with `what` when `timeoutMs` passes first. */
export async function eventually(
  what: string,
  probe: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await delay(50);
  }
  throw new Error(`${what}: not so within ${timeoutMs} ms`);
}
