import { pipeline, Readable } from "node:stream";
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import { Agent, type Dispatcher, EnvHttpProxyAgent, request } from "undici";

/** What the `openai` client calls to send a request: the `fetch` signature. */
export type ModelFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Options for {@link ModelHttpClient}. */
export interface ModelHttpClientOptions {
  /**
   * Send through the proxy `HTTP_PROXY` / `HTTPS_PROXY` name (minus `NO_PROXY`), as Node's
   * global `fetch` does when Node is told to (Node 24: `NODE_USE_ENV_PROXY=1` or
   * `--use-env-proxy`). @default whether Node is told to
   */
  readonly proxyFromEnv?: boolean;
}

/** Node's own switch for its global `fetch` to honour `HTTP(S)_PROXY`. */
function nodeUsesEnvProxy(): boolean {
  return process.env.NODE_USE_ENV_PROXY === "1" || process.execArgv.includes("--use-env-proxy");
}

/**
 * The HTTP transport of the model calls: a `fetch` for the `openai` client built on undici's
 * `request` over one keep-alive connection pool per origin, shared by every provider.
 *
 * Why not the global `fetch`: for a small JSON call the WHATWG machinery around it (Request and
 * Response objects, web streams, AbortSignal bookkeeping) costs as much CPU as everything else a
 * run does, and most of what an in-flight call holds in memory. `undici.request` is the same
 * HTTP client underneath without that layer: `pnpm bench:model-http` measures a model call at
 * 0.5–0.65 of the CPU and under half the heap. The `openai` client still builds the request and reads
 * the `Response` this returns, so its errors, timeouts and aborts behave as with the global
 * `fetch`.
 *
 * The fast path takes what the `openai` client sends for chat completions: a URL string and a
 * string or byte body. Anything else (a `Request`, form data, a stream) goes to the global
 * `fetch`, unchanged. Differences from `fetch`, on purpose:
 * - the response body is read before the `Response` is returned, so the client's timeout and
 *   abort cover the whole body; a `text/event-stream` body is passed through as a stream;
 * - redirects are not followed: a 3xx reaches the client as an error status (model APIs
 *   answer a POST, they do not redirect it);
 * - `accept-encoding: identity` is sent unless the caller sets the header; a body that comes
 *   back compressed anyway (gzip, deflate, br) is decoded;
 * - a status outside 200–599, which a `Response` cannot carry, fails the call.
 */
export class ModelHttpClient {
  readonly #dispatcher: Dispatcher;

  constructor(options: ModelHttpClientOptions = {}) {
    // Idle connections are kept undici's default 4 s (less when the server's keep-alive says so).
    const agentOptions = {
      // undici's own 300 s would cut a slow model short of its `model.timeoutMs` (up to 600 s):
      // the `openai` client's timer is the one limit until the headers arrive.
      headersTimeout: 0,
    };
    this.#dispatcher =
      (options.proxyFromEnv ?? nodeUsesEnvProxy())
        ? new EnvHttpProxyAgent(agentOptions)
        : new Agent(agentOptions);
  }

  /** The `fetch` to give the `openai` client (`new OpenAI({ fetch })`). */
  readonly fetch: ModelFetch = (input, init) => {
    const body = init?.body;
    // Required, not only faster to skip: undici's `request` cannot send form data or web
    // streams the way `fetch` does.
    const fastPath =
      typeof input === "string" &&
      (body === undefined ||
        body === null ||
        typeof body === "string" ||
        body instanceof Uint8Array);
    if (!fastPath) return globalThis.fetch(input, init);
    return this.#send(input, init ?? {}, body);
  };

  /** Closes the pooled connections once the calls under way have finished. */
  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  async #send(
    url: string,
    init: RequestInit,
    body: string | Uint8Array | null | undefined,
  ): Promise<Response> {
    const response = await request(url, {
      dispatcher: this.#dispatcher,
      method: (init.method?.toUpperCase() ?? "GET") as Dispatcher.HttpMethod,
      headers: requestHeaders(init.headers),
      body: body ?? null,
      signal: init.signal ?? undefined,
    });
    try {
      const status = response.statusCode;
      if (status < 200 || status > 599) {
        throw new Error(`${new URL(url).origin} answered with HTTP status ${status}`);
      }
      const headers = toHeaders(response.headers);
      const coding = contentCoding(headers);
      if (NULL_BODY_STATUSES.has(status)) {
        await response.body.dump();
        return new Response(null, { status, headers });
      }
      if (headers.get("content-type")?.startsWith("text/event-stream")) {
        const decoder = coding === undefined ? undefined : DECODERS[coding].stream();
        const stream =
          decoder === undefined ? response.body : pipeline(response.body, decoder, () => {});
        return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, {
          status,
          headers,
        });
      }
      const bytes = await response.body.bytes();
      const payload =
        coding === undefined || bytes.length === 0 ? bytes : await DECODERS[coding].whole(bytes);
      return new Response(payload, { status, headers });
    } catch (error) {
      // The connection goes back to the pool only once its body is read or destroyed. Destroyed
      // unread, undici's body emits an AbortError that nobody else listens to.
      response.body.on("error", () => {}).destroy();
      throw error;
    }
  }
}

/** Statuses whose response has no body (`new Response` refuses one). */
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/** The request's headers as undici takes them, asking for an uncompressed body by default. */
function requestHeaders(headers: RequestInit["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers instanceof Headers ? headers : new Headers(headers)) {
    out[name] = value;
  }
  // `fetch` sets `host` from the URL whatever the caller says; so does this.
  delete out.host;
  out["accept-encoding"] ??= "identity";
  return out;
}

/** undici's header object (lower-case names, repeated ones as arrays) as a `Headers`. */
function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const name in raw) {
    const value = raw[name];
    if (value === undefined) continue;
    if (typeof value === "string") headers.append(name, value);
    else for (const each of value) headers.append(name, each);
  }
  return headers;
}

/** Lenient as `fetch` is: a body cut short keeps what arrived instead of failing. */
const ZLIB_FLUSH = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
const BROTLI_FLUSH = {
  flush: zlib.constants.BROTLI_OPERATION_FLUSH,
  finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
};
const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);
const brotliDecompress = promisify(zlib.brotliDecompress);

/** The content codings decoded, whole (a buffered body) or as a stream (an event stream). */
const DECODERS = {
  gzip: {
    whole: (bytes: Uint8Array) => gunzip(bytes, ZLIB_FLUSH),
    stream: () => zlib.createGunzip(ZLIB_FLUSH),
  },
  deflate: {
    // Some servers send raw deflate without the zlib wrapper (whose first byte says method 8).
    whole: (bytes: Uint8Array) =>
      ((bytes[0] ?? 0) & 0x0f) === 0x08
        ? inflate(bytes, ZLIB_FLUSH)
        : inflateRaw(bytes, ZLIB_FLUSH),
    stream: () => zlib.createInflate(ZLIB_FLUSH),
  },
  br: {
    whole: (bytes: Uint8Array) => brotliDecompress(bytes, BROTLI_FLUSH),
    stream: () => zlib.createBrotliDecompress(BROTLI_FLUSH),
  },
} as const;

/**
 * The body's content coding when it is one of {@link DECODERS}, with the coding headers
 * dropped as `fetch` does; `undefined` for an uncoded body or a coding it does not know (that
 * body is passed on as it came).
 */
function contentCoding(headers: Headers): keyof typeof DECODERS | undefined {
  const raw = headers.get("content-encoding")?.trim().toLowerCase();
  const coding = raw === "x-gzip" ? "gzip" : raw;
  if (coding !== "gzip" && coding !== "deflate" && coding !== "br") return undefined;
  headers.delete("content-encoding");
  headers.delete("content-length");
  return coding;
}
