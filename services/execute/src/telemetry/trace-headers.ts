import type { MsgHdrs } from "@nats-io/nats-core";
import { headers as natsHeaders } from "@nats-io/nats-core";
import {
  type Context,
  context as contextApi,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

/**
 * W3C trace context in NATS headers. Patinox uses the propagator directly rather than the
 * global one: the global propagator is a no-op until an SDK starts, and trace ids must still
 * travel from a caller's `traceparent` into tool calls and telemetry when nothing exports here.
 */
const propagator = new W3CTraceContextPropagator();

const getter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (carrier) => (carrier ? carrier.keys() : []),
  get: (carrier, key) => carrier?.get(key) || undefined,
};

const setter: TextMapSetter<MsgHdrs> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

/** The context a request's `traceparent` header continues, or the active one without it. */
export function contextFromHeaders(headers: MsgHdrs | undefined): Context {
  if (headers?.get("traceparent")) return propagator.extract(ROOT_CONTEXT, headers, getter);
  return contextApi.active();
}

/** Headers carrying `ctx`'s span as `traceparent` (empty when the context has no valid span). */
export function headersFor(ctx: Context, into: MsgHdrs = natsHeaders()): MsgHdrs {
  if (trace.getSpanContext(ctx) !== undefined) propagator.inject(ctx, into, setter);
  return into;
}
