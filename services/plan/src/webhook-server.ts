import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { verify } from "@octokit/webhooks-methods";
import type { Logger } from "pino";

/** Options of {@link startWebhookServer}. */
export interface WebhookServerOptions {
  readonly port: number;
  /** Host to listen on. @default "0.0.0.0" */
  readonly host?: string;
  /** The secret GitHub signs deliveries with. */
  readonly secret: string;
  readonly logger: Logger;
  /** Called with the head branch of a `pull_request` delivery. */
  readonly onPullRequest: (branch: string) => Promise<void>;
}

/** A running webhook endpoint. */
export interface WebhookServer {
  readonly port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 5 * 1024 * 1024;

/**
 * `POST /webhooks/github`: takes GitHub's `pull_request` deliveries, verified against
 * `X-Hub-Signature-256` (HMAC-SHA256 of the raw body, compared in constant time by
 * `@octokit/webhooks-methods`). An unsigned or wrongly signed delivery gets 401 and does
 * nothing; a good one is answered 202 at once and its plan takes its next step in the
 * background (polling would find the same change later: the webhook only makes it sooner).
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method !== "POST" || req.url?.split("?")[0] !== "/webhooks/github") {
        res.writeHead(404).end();
        return;
      }
      const body = await readBody(req);
      if (body === undefined) {
        res.writeHead(413).end();
        return;
      }
      const signature = String(req.headers["x-hub-signature-256"] ?? "");
      const valid =
        signature !== "" && (await verify(options.secret, body, signature).catch(() => false));
      if (!valid) {
        options.logger.warn(
          { delivery: req.headers["x-github-delivery"] },
          "webhook with a bad signature refused",
        );
        res.writeHead(401, { "content-type": "application/json" }).end('{"error":"bad signature"}');
        return;
      }
      let payload: { pull_request?: { head?: { ref?: unknown } } };
      try {
        payload = JSON.parse(body) as typeof payload;
      } catch {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(202).end();
      const branch = payload.pull_request?.head?.ref;
      if (
        req.headers["x-github-event"] === "pull_request" &&
        typeof branch === "string" &&
        branch.startsWith("patinox/")
      ) {
        await options.onPullRequest(branch).catch((error: unknown) => {
          options.logger.warn(
            { branch, err: String(error) },
            "webhook follow-up failed; polling will catch up",
          );
        });
      }
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
