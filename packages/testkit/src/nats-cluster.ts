import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.ts";
import { NatsServer } from "./nats-server.ts";

/** Options for {@link NatsCluster.start}. */
export interface NatsClusterOptions {
  /** Number of nodes. @default 3 */
  readonly size?: number;
  /** Extra configuration appended to every node's file. */
  readonly extraConfig?: string;
}

/**
 * A JetStream cluster of real `nats-server` processes on loopback, each with its own store.
 * Nodes can be killed and restarted to test failover. Dispose with `await using`.
 */
export class NatsCluster implements AsyncDisposable {
  readonly nodes: readonly NatsServer[];
  readonly #root: string;

  private constructor(nodes: NatsServer[], root: string) {
    this.nodes = nodes;
    this.#root = root;
  }

  /** Starts every node and waits until the cluster has a JetStream meta leader. */
  static async start(options: NatsClusterOptions = {}): Promise<NatsCluster> {
    const size = options.size ?? 3;
    const root = await mkdtemp(join(tmpdir(), "patinox-cluster-"));
    const clientPorts = await Promise.all(Array.from({ length: size }, () => freePort()));
    const routePorts = await Promise.all(Array.from({ length: size }, () => freePort()));
    const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`);
    // Start nodes concurrently: JetStream readiness needs a quorum, so sequential waits would
    // hang. If one fails, the others that did start are disposed before the store goes.
    const started = await Promise.allSettled(
      clientPorts.map((port, i) =>
        NatsServer.start({
          port,
          serverName: `n${i + 1}`,
          storeDir: join(root, `n${i + 1}`),
          extraConfig: [
            `cluster { name: patinox-test, listen: 127.0.0.1:${routePorts[i]}, routes: [${routes.join(", ")}] }`,
            options.extraConfig ?? "",
          ].join("\n"),
          readyTimeoutMs: 30_000,
        }),
      ),
    );
    const nodes = started.flatMap((result) =>
      result.status === "fulfilled" ? [result.value] : [],
    );
    const failure = started.find((result) => result.status === "rejected");
    if (failure) {
      await Promise.all(nodes.map((n) => n[Symbol.asyncDispose]()));
      await rm(root, { recursive: true, force: true });
      throw failure.reason;
    }
    return new NatsCluster(nodes, root);
  }

  /** All client URLs, comma-separated, as `NATS_URL` takes them. */
  get url(): string {
    return this.nodes.map((n) => n.url).join(",");
  }

  /** Client URLs as an array. */
  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  /** Kills node `index` with SIGKILL. */
  async killNode(index: number): Promise<void> {
    await this.#node(index).kill();
  }

  /** Restarts node `index` on its port and store. */
  async restartNode(index: number): Promise<void> {
    await this.#node(index).restart();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.nodes.map((n) => n[Symbol.asyncDispose]()));
    await rm(this.#root, { recursive: true, force: true });
  }

  #node(index: number): NatsServer {
    const node = this.nodes[index];
    if (!node) throw new RangeError(`no node ${index} in a cluster of ${this.nodes.length}`);
    return node;
  }
}
