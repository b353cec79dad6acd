/** A health server's answer: status code and parsed JSON body (`undefined` when empty). */
export interface HealthAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Headers;
}

/** Sends a request to a health server on loopback and parses the JSON it answers. */
export async function askHealth(
  port: number,
  path: string,
  method: "GET" | "HEAD" | "POST" = "GET",
): Promise<HealthAnswer> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    signal: AbortSignal.timeout(5_000),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === "" ? undefined : JSON.parse(text),
    headers: response.headers,
  };
}

/** The status code of a health path, or 0 when nothing answers (not listening yet, or closed). */
export async function healthStatus(port: number, path: string): Promise<number> {
  try {
    return (await askHealth(port, path)).status;
  } catch {
    return 0;
  }
}
