import { pipeline, Readable, type Transform } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { Agent, type Dispatcher, request } from "undici";

/** What the `openai` client calls to send a request: the `fetch` signature. */
export type ModelFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Options for {@link ModelHttpClient}. */
export interface ModelHttpClientOptions {
  /**
   * How long an idle connection is kept for the next call (the server's own keep-alive hint
   * wins when it is shorter). @default 4000, undici's default
   */
  readonly keepAliveTimeoutMs?: number;
}

/**
 * The HTTP transport of the model calls: a `fetch` for the `openai` client built on undici's
 * `request` over one keep-alive connection pool per origin, shared by every provider.
 *
 * Why not the global `fetch`: for a small JSON call the WHATWG machinery around it (Request and
 * Response objects, web streams, AbortSignal bookkeeping) costs as much CPU as everything else a
 * run does, and most of what an in-flight call holds in memory. `undici.request` is the same
 * HTTP client underneath without that layer: in `bench/model-http.bench.ts` a model call costs
 * about half the CPU. The `openai` client still builds the request and reads the `Response`
 * this returns, so its errors, timeouts and aborts behave as with the global `fetch`.
 *
 * The fast path takes what the `openai` client sends for chat completions: a URL string and a
 * string or byte body. Anything else (a `Request`, form data, a stream) goes to the global
 * `fetch`, unchanged. Differences from `fetch`, on purpose:
 * - the response body is read before the `Response` is returned, so the client's timeout and
 *   abort cover the whole body; a `text/event-stream` body is passed through as a stream;
 * - redirects are not followed: a 3xx reaches the client as an error status (model APIs
 *   answer a POST, they do not redirect it);
 * - `accept-encoding: identity` is sent unless the caller sets the header; a body that comes
 *   back compressed anyway (gzip, deflate, br) is decoded.
 */
export class ModelHttpClient {
  readonly #agent: Agent;

  constructor(options: ModelHttpClientOptions = {}) {
    this.#agent = new Agent({ keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000 });
  }

  /** The `fetch` to give the `openai` client (`new OpenAI({ fetch })`). */
  readonly fetch: ModelFetch = (input, init) => {
    const body = init?.body;
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
    await this.#agent.close();
  }

  async #send(
    url: string,
    init: RequestInit,
    body: string | Uint8Array | null | undefined,
  ): Promise<Response> {
    const headers = requestHeaders(init.headers);
    const response = await request(url, {
      dispatcher: this.#agent,
      method: (init.method ?? "GET") as Dispatcher.HttpMethod,
      headers,
      body: body ?? null,
      signal: init.signal ?? undefined,
    });
    const status = response.statusCode;
    const responseHeaders = toHeaders(response.headers);
    // No body is allowed with these statuses, and `new Response` refuses one.
    if (NULL_BODY_STATUSES.has(status)) {
      await response.body.dump();
      return new Response(null, { status, headers: responseHeaders });
    }
    const decoder = decoderFor(responseHeaders);
    if (responseHeaders.get("content-type")?.startsWith("text/event-stream")) {
      const stream = decoder === undefined ? response.body : decode(response.body, decoder);
      return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, {
        status,
        headers: responseHeaders,
      });
    }
    const payload =
      decoder === undefined
        ? await response.body.bytes()
        : await bytesOf(decode(response.body, decoder));
    return new Response(payload, { status, headers: responseHeaders });
  }
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** The request's headers as undici takes them, asking for an uncompressed body by default. */
function requestHeaders(headers: RequestInit["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers instanceof Headers ? headers : new Headers(headers)) {
    out[name] = value;
  }
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

/**
 * A decoder for the body's content coding (gzip, deflate, br), and the coding headers dropped
 * as `fetch` does; `undefined` for an uncoded body or a coding it does not know (left as it came).
 */
function decoderFor(headers: Headers): Transform | undefined {
  const coding = headers.get("content-encoding")?.trim().toLowerCase();
  if (coding === undefined || coding === "" || coding === "identity") return undefined;
  const decoder =
    coding === "gzip" || coding === "x-gzip"
      ? createGunzip()
      : coding === "deflate"
        ? createInflate()
        : coding === "br"
          ? createBrotliDecompress()
          : undefined;
  if (decoder !== undefined) {
    headers.delete("content-encoding");
    headers.delete("content-length");
  }
  return decoder;
}

/** `source` through `decoder`; an error in either destroys both, so the reader sees it. */
function decode(source: Readable, decoder: Transform): Readable {
  // The callback is required; the error reaches whoever reads `decoder`.
  return pipeline(source, decoder, () => {});
}

async function bytesOf(stream: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}
