import { execFile } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { createTestCertificates, ModelServer, ModelStep } from "@patinox/testkit";
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIUserAbortError } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { ModelHttpClient } from "./model-http.ts";

/** What a raw test server saw of one request. */
interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

/** A plain HTTP server on loopback answering every request with `answer`. */
async function rawServer(
  answer: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<{ url: string; seen: Seen[]; connections: () => number } & AsyncDisposable> {
  const seen: Seen[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      answer(req, res, body);
    });
  });
  server.on("connection", () => {
    connections += 1;
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    connections: () => connections,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

const clients: ModelHttpClient[] = [];
function client(options: ConstructorParameters<typeof ModelHttpClient>[0] = {}): ModelHttpClient {
  const created = new ModelHttpClient(options);
  clients.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

describe("ModelHttpClient.fetch", () => {
  it("sends method, headers and body, and asks for an uncompressed body unless told otherwise", async () => {
    await using server = await rawServer((_req, res) => {
      res.writeHead(201, { "content-type": "application/json", "x-request-id": "req-1" });
      res.end('{"ok":true}');
    });
    const { fetch } = client();
    const response = await fetch(`${server.url}/v1/things?x=1`, {
      method: "post",
      headers: new Headers({
        authorization: "Bearer k",
        "content-type": "application/json",
        host: "elsewhere.example",
      }),
      body: '{"a":1}',
    });
    expect(response.status).toBe(201);
    expect(response.ok).toBe(true);
    expect(response.headers.get("x-request-id")).toBe("req-1");
    expect(await response.json()).toEqual({ ok: true });
    expect(server.seen[0]).toMatchObject({
      method: "POST",
      url: "/v1/things?x=1",
      body: '{"a":1}',
      headers: {
        authorization: "Bearer k",
        "content-type": "application/json",
        "accept-encoding": "identity",
        host: new URL(server.url).host,
      },
    });

    await fetch(`${server.url}/`, {
      method: "GET",
      headers: { "Accept-Encoding": "gzip" },
      body: new Uint8Array([]),
    });
    expect(server.seen[1]?.headers["accept-encoding"]).toBe("gzip");
  });

  it.each([
    { coding: "gzip", label: "gzip", compress: gzipSync },
    { coding: "deflate", label: "zlib deflate", compress: deflateSync },
    { coding: "deflate", label: "raw deflate", compress: deflateRawSync },
    { coding: "br", label: "brotli", compress: brotliCompressSync },
  ] as const)(
    "decodes a $label body sent although identity was asked for",
    async ({ coding, compress }) => {
      const json = JSON.stringify({ text: "x".repeat(5_000) });
      await using server = await rawServer((_req, res) => {
        const body = compress(Buffer.from(json));
        res.writeHead(200, {
          "content-type": "application/json",
          "content-encoding": coding,
          "content-length": String(body.length),
        });
        res.end(body);
      });
      const response = await client().fetch(server.url, { method: "GET" });
      expect(await response.text()).toBe(json);
      expect(response.headers.get("content-encoding")).toBeNull();
      expect(response.headers.get("content-length")).toBeNull();
    },
  );

  it("fails the call on a corrupt compressed body instead of returning part of it", async () => {
    await using server = await rawServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(Buffer.from("not gzip at all"));
    });
    await expect(client().fetch(server.url, { method: "GET" })).rejects.toMatchObject({
      code: "Z_DATA_ERROR",
    });
  });

  it("answers an empty body marked as compressed (HEAD, length 0) as empty, as fetch does", async () => {
    await using server = await rawServer((_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip", "content-length": "0" });
      res.end();
    });
    const { fetch } = client();
    expect(await (await fetch(server.url, { method: "GET" })).text()).toBe("");
    const head = await fetch(server.url, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("fails a status no Response can carry, and lets go of the connection", async () => {
    let closed: Promise<unknown> | undefined;
    await using server = await rawServer((req, res) => {
      closed = once(req.socket, "close");
      res.writeHead(999, { "content-type": "application/json" });
      res.write('{"more":');
      // The body never ends: only the client dropping the connection closes it.
    });
    await expect(client().fetch(server.url, { method: "GET" })).rejects.toThrow(
      /answered with HTTP status 999/,
    );
    await closed;
  });

  it("passes an event stream on as it arrives, not once it has ended", async () => {
    await using server = await rawServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write('data: {"n":1}\n\n');
      // The stream stays open: a client that waited for its end would never return.
    });
    const controller = new AbortController();
    const response = await client().fetch(server.url, {
      method: "POST",
      body: "{}",
      signal: controller.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('data: {"n":1}\n\n');
    controller.abort();
    await expect(reader.read()).rejects.toMatchObject({ name: "AbortError" });
  });

  it("closes once the call under way has finished", async () => {
    await using server = await rawServer((_req, res) => setTimeout(() => res.end("{}"), 200));
    const http = new ModelHttpClient();
    const call = http.fetch(server.url, { method: "GET" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = http.close();
    expect((await call).status).toBe(200);
    await closed;
    await expect(http.fetch(server.url, { method: "GET" })).rejects.toMatchObject({
      code: "UND_ERR_DESTROYED",
    });
  });

  it("goes through the proxy HTTP_PROXY names when Node is told to use it", async () => {
    await using target = await rawServer((_req, res) => res.end('{"via":"proxy?"}'));
    let tunnels = 0;
    const proxy = createServer();
    proxy.on("connect", (req: IncomingMessage, socket: import("node:net").Socket) => {
      tunnels += 1;
      const [host, port] = (req.url ?? "").split(":");
      const upstream = connect(Number(port), host, () => {
        socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on("error", () => socket.destroy());
      socket.on("error", () => upstream.destroy());
    });
    proxy.listen(0, "127.0.0.1");
    await once(proxy, "listening");
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    process.env.HTTP_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    process.env.NO_PROXY = "";
    try {
      const direct = client({ proxyFromEnv: false });
      expect((await direct.fetch(target.url, { method: "GET" })).status).toBe(200);
      expect(tunnels).toBe(0);
      const proxied = client({ proxyFromEnv: true });
      expect(await (await proxied.fetch(target.url, { method: "GET" })).json()).toEqual({
        via: "proxy?",
      });
      expect(tunnels).toBe(1);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      proxy.closeAllConnections();
      proxy.close();
    }
  });

  it("keeps connections for the next calls instead of opening one per call", async () => {
    await using server = await rawServer((_req, res) => res.end("{}"));
    const { fetch } = client();
    for (let i = 0; i < 10; i++) await (await fetch(server.url, { method: "GET" })).text();
    // A call may start before the pool has taken back the previous one's connection.
    expect(server.connections()).toBeLessThanOrEqual(2);
  });

  it("passes what the fast path does not take (form data) to the global fetch", async () => {
    await using server = await rawServer((_req, res) => res.end("{}"));
    const form = new FormData();
    form.set("purpose", "batch");
    const response = await client().fetch(server.url, { method: "POST", body: form });
    expect(response.status).toBe(200);
    expect(server.seen[0]?.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(server.seen[0]?.body).toContain('name="purpose"');
  });

  it("rejects with an AbortError when the signal fires before the body has arrived", async () => {
    await using server = await rawServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"partial":');
      // The rest never comes.
    });
    const controller = new AbortController();
    const pending = client().fetch(server.url, { method: "GET", signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });
});

describe("ModelHttpClient over TLS", () => {
  it("trusts the CA an operator adds with NODE_EXTRA_CA_CERTS, and refuses an unknown one", async () => {
    await using certs = await createTestCertificates();
    const server = createHttpsServer(
      {
        cert: await readFile(certs.serverCertFile),
        key: await readFile(certs.serverKeyFile),
      },
      (_req, res) => res.end('{"tls":true}'),
    );
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const url = `https://localhost:${(server.address() as AddressInfo).port}/v1`;
    // NODE_EXTRA_CA_CERTS is read when a process starts, as in a container: a child process.
    const script = `
      const { ModelHttpClient } = await import(${JSON.stringify(fileURLToPath(new URL("./model-http.ts", import.meta.url)))});
      const http = new ModelHttpClient();
      try {
        const response = await http.fetch(${JSON.stringify(url)}, { method: "GET" });
        console.log(response.status, await response.text());
      } catch (error) {
        console.log("failed", error.code ?? error.cause?.code ?? error.message);
      } finally {
        await http.close();
      }`;
    const run = (env: NodeJS.ProcessEnv) =>
      promisify(execFile)(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", script],
        { cwd: fileURLToPath(new URL("..", import.meta.url)), env, timeout: 30_000 },
      );
    try {
      const trusted = await run({ ...process.env, NODE_EXTRA_CA_CERTS: certs.caFile });
      expect(trusted.stdout.trim()).toBe('200 {"tls":true}');
      const { NODE_EXTRA_CA_CERTS: _, ...withoutCa } = process.env;
      const untrusted = await run(withoutCa);
      expect(untrusted.stdout.trim()).toMatch(
        /^failed (UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)$/,
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe("the openai client on ModelHttpClient", () => {
  function openai(baseURL: string, timeout = 5_000): OpenAI {
    return new OpenAI({
      baseURL,
      apiKey: "sk-test",
      maxRetries: 0,
      timeout,
      fetch: client().fetch,
    });
  }
  const ask = { model: "test-model", messages: [{ role: "user" as const, content: "hi" }] };

  it("gets a completion, the status and headers of an error, and a stream", async () => {
    await using model = await ModelServer.start({
      script: [
        ModelStep.text("hello"),
        ModelStep.rateLimited({ retryAfter: 3 }),
        ModelStep.text("streamed reply"),
      ],
    });
    const api = openai(model.baseURL);
    const completion = await api.chat.completions.create(ask);
    expect(completion.choices[0]?.message.content).toBe("hello");

    const limited = await api.chat.completions.create(ask).catch((e: unknown) => e);
    expect(limited).toMatchObject({ status: 429 });
    expect((limited as { headers: Headers }).headers.get("retry-after")).toBe("3");

    const stream = await api.chat.completions.create({ ...ask, stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("streamed reply");
  });

  it("times out, or is cancelled, while the body is still arriving", async () => {
    await using server = await rawServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"id":"chatcmpl-1",');
      // The rest never comes: the client's timer must cover the body, not only the headers.
    });
    const timedOut = await openai(`${server.url}/v1`, 200)
      .chat.completions.create(ask)
      .catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(APIConnectionTimeoutError);

    const controller = new AbortController();
    const pending = openai(`${server.url}/v1`).chat.completions.create(ask, {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    expect(await pending.catch((e: unknown) => e)).toBeInstanceOf(APIUserAbortError);
  });

  it("turns a hung model into a timeout, a cancelled call into an abort, a dropped connection into a connection error", async () => {
    await using model = await ModelServer.start({
      script: [ModelStep.hang(), ModelStep.hang(), ModelStep.disconnect()],
    });
    const timedOut = await openai(model.baseURL, 200)
      .chat.completions.create(ask)
      .catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(APIConnectionTimeoutError);

    const controller = new AbortController();
    const pending = openai(model.baseURL).chat.completions.create(ask, {
      signal: controller.signal,
    });
    await model.received(1);
    controller.abort();
    expect(await pending.catch((e: unknown) => e)).toBeInstanceOf(APIUserAbortError);

    const dropped = await openai(model.baseURL)
      .chat.completions.create(ask)
      .catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(APIConnectionError);
    expect(dropped).not.toBeInstanceOf(APIConnectionTimeoutError);
  });
});
