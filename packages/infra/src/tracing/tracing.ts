import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  propagation,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";

/**
 * Tracing through the OpenTelemetry API only: the packages make spans, the app decides whether
 * they go anywhere (it registers the SDK when OTEL_EXPORTER_OTLP_ENDPOINT is set). Without it
 * every span is the API's non-recording no-op, and the per-node and per-model callbacks are not
 * attached at all (`tracingEnabled()`), so the hot path does not pay for them.
 */
const NAME = "fractal-agents-runtime";
let enabled = false;

/** Told by the app once it registered a tracer provider that exports. */
export function enableTracing(on: boolean): void {
  enabled = on;
}

export function tracingEnabled(): boolean {
  return enabled;
}

export function tracer(): Tracer {
  return trace.getTracer(NAME);
}

/** W3C trace context of the active span (`traceparent`, `tracestate`), to store with a run. */
export function currentTraceContext(): Record<string, string> | undefined {
  if (!enabled) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** The context a stored or received trace context continues (the active one when there is none). */
export function contextFrom(carrier: Record<string, string> | null | undefined): Context {
  return carrier ? propagation.extract(context.active(), carrier) : context.active();
}

/** The trace id of the active span, for log lines; undefined when nothing is traced. */
export function activeTraceId(): string | undefined {
  const span = trace.getActiveSpan();
  const spanContext = span?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** Runs `fn` inside a new active span, ended when it settles; an error marks the span failed. */
export async function inSpan<T>(
  name: string,
  options: { attributes?: Attributes; parent?: Context; startTime?: number },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(name, { attributes: options.attributes, startTime: options.startTime }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Marks a span failed with the error's message, recorded as an exception event. */
export function failSpan(span: Span, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
}
