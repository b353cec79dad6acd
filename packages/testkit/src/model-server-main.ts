/**
 * Runs the simulated model server for the local stack: `PATINOX_MODEL_PORT` (blank or unset means
 * an ephemeral port) and `PATINOX_MODEL_LATENCY_MS` (default 0). Prints one JSON line,
 * `{"baseURL":"http://127.0.0.1:PORT/v1","models":[…]}`, once it listens; SIGTERM or SIGINT
 * closes it and the process exits 0. Requests are not recorded, so memory stays flat.
 */
import { ModelServer } from "./model-server.ts";
import { simulatedModel } from "./simulated-model.ts";

function integerFromEnv(name: string, fallback: number, max: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > max) {
    throw new Error(`${name} must be an integer from 0 to ${max}, got "${raw}"`);
  }
  return value;
}

try {
  const port = integerFromEnv("PATINOX_MODEL_PORT", 0, 65_535);
  const latencyMs = integerFromEnv("PATINOX_MODEL_LATENCY_MS", 0, 600_000);
  const model = simulatedModel({ latencyMs });
  const server = await ModelServer.start({ ...model, port, record: false });
  const stop = () => {
    // Once the server is closed nothing keeps the event loop alive, so the process exits 0.
    server.close().catch((error: unknown) => {
      process.stderr.write(`model server: ${String(error)}\n`);
      process.exitCode = 1;
    });
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  process.stdout.write(`${JSON.stringify({ baseURL: server.baseURL, models: model.models })}\n`);
} catch (error) {
  process.stderr.write(`model server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
