/**
 * Waits `ms`, or less when `signal` aborts (at once if it already has). Never rejects: for
 * loops that check `signal.aborted` after waiting, such as retry and poll loops that must stop
 * promptly on shutdown.
 */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
