import type { MsgHdrs } from "@nats-io/nats-core";
import type { Service, ServiceMsg } from "@nats-io/services";
import {
  encode,
  PatinoxError,
  parseMessage,
  toWireError,
  type WireError,
} from "@patinox/contracts";
import type { Logger } from "pino";
import type { z } from "zod";
import type { InFlight } from "./in-flight.ts";

/** What an endpoint handler sees besides the parsed request. */
export interface RequestContext {
  readonly subject: string;
  readonly headers: MsgHdrs | undefined;
  /** Aborted when the service shuts down past its deadline. */
  readonly signal: AbortSignal;
}

/** A typed request/reply endpoint of a Patinox service. */
export interface EndpointSpec<S extends z.ZodType, R> {
  /** Endpoint name shown by `$SRV.INFO`. */
  readonly name: string;
  /** Subject, may contain wildcards (e.g. `patinox.agents.*.run`). */
  readonly subject: string;
  /** Queue group so replicas share the load. @default the service name */
  readonly queue?: string;
  /** The request schema; a request that fails it gets a `malformed_message` error reply. */
  readonly request: S;
  /** Largest request accepted, in bytes; larger gets `payload_too_large`. @default 1 MiB */
  readonly maxBytes?: number;
  /** Shown in `$SRV.INFO` endpoint metadata. */
  readonly description?: string;
  handle(request: z.output<S>, context: RequestContext): Promise<R> | R;
}

/** Everything {@link addTypedEndpoint} needs from the service host. */
export interface EndpointHost {
  readonly service: Service;
  readonly serviceName: string;
  readonly inFlight: InFlight;
  readonly logger: Logger;
  /** Handed to every handler as {@link RequestContext.signal}. */
  readonly signal: AbortSignal;
}

/**
 * Adds an endpoint that parses every request with its schema and answers every request:
 * the handler's result as JSON, or a structured error (`{ v: 1, error }`) with the NATS
 * micro-service error headers set. Nothing a publisher sends can crash the service or leave
 * a request unanswered, and every request is tracked for graceful shutdown.
 */
export function addTypedEndpoint<S extends z.ZodType, R>(
  host: EndpointHost,
  spec: EndpointSpec<S, R>,
): void {
  const maxBytes = spec.maxBytes ?? 1024 * 1024;
  host.service.addEndpoint(spec.name, {
    subject: spec.subject,
    queue: spec.queue ?? host.serviceName,
    metadata: { description: spec.description ?? spec.name },
    handler: (error, message) => {
      if (error) {
        host.logger.error(
          { endpoint: spec.name, error: error.message },
          "endpoint subscription failed",
        );
        return;
      }
      void host.inFlight.track(() => answer(host, spec, message, maxBytes));
    },
  });
}

async function answer<S extends z.ZodType, R>(
  host: EndpointHost,
  spec: EndpointSpec<S, R>,
  message: ServiceMsg,
  maxBytes: number,
): Promise<void> {
  try {
    const parsed = parseMessage(spec.request, message.data, { maxBytes });
    if (!parsed.ok) throw parsed.error;
    const result = await spec.handle(parsed.value, {
      subject: message.subject,
      headers: message.headers,
      signal: host.signal,
    });
    respond(message, encode(result));
  } catch (error) {
    const wire = toWireError(error);
    if (wire.code === "internal") {
      // The reply says only "internal"; the log keeps what happened for the operator.
      host.logger.error({ endpoint: spec.name, err: error }, "endpoint handler failed");
    }
    respondWithError(message, wire);
  }
}

/** Replies with a structured error and the micro-service error headers. */
export function respondWithError(message: ServiceMsg, error: WireError): void {
  const status = new PatinoxError(error.code, error.message).natsServiceCode;
  // A header value cannot hold CR or LF (nats-core throws, and the request would go
  // unanswered), and a message may echo a field name the publisher chose. The body keeps it.
  const description = error.message.replace(/[\r\n]+/g, " ");
  try {
    message.respondError(status, description, encode({ v: 1, error }));
  } catch {
    // No reply subject or a closed connection: there is nobody to tell.
  }
}

function respond(message: ServiceMsg, data: Uint8Array): void {
  try {
    message.respond(data);
  } catch {
    // As above: a request published without a reply subject gets no answer.
  }
}
