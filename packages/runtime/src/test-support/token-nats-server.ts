import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { setTimeout as delay } from "node:timers/promises";
import { connect } from "@nats-io/transport-node";
import { freePort, natsServerBin } from "@patinox/testkit";

/**
 * A real `nats-server` that admits only clients presenting `token`. The testkit's `NatsServer`
 * cannot host one: its readiness probe connects without credentials, and token authorization
 * has no anonymous fallback (`no_auth_user` needs a users list, which excludes a token).
 */
export class TokenNatsServer implements AsyncDisposable {
  readonly #child: ChildProcess;
  readonly url: string;

  private constructor(child: ChildProcess, url: string) {
    this.#child = child;
    this.url = url;
  }

  /** Starts the server on a free loopback port and waits until the token is accepted. */
  static async start(token: string): Promise<TokenNatsServer> {
    const port = await freePort();
    const child = spawn(natsServerBin(), ["-a", "127.0.0.1", "-p", String(port), "--auth", token], {
      stdio: "ignore",
    });
    const server = new TokenNatsServer(child, `nats://127.0.0.1:${port}`);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const nc = await connect({ servers: server.url, token, reconnect: false, timeout: 500 });
        await nc.close();
        return server;
      } catch {
        await delay(50);
      }
    }
    await server[Symbol.asyncDispose]();
    throw new Error(`nats-server with token authorization did not start on ${server.url}`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = once(this.#child, "exit");
    this.#child.kill("SIGKILL");
    await exited;
  }
}
