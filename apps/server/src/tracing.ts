import { enableTracing } from "@fractal/infra/tracing/tracing";
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, type SpanExporter, TracerProvider } from "@opentelemetry/sdk-trace";
import type { Config } from "./config.ts";
import { VERSION } from "./version.ts";

export interface Tracing {
  /** Exports what is still buffered and stops. */
  shutdown(): Promise<void>;
}

/**
 * Registers the OpenTelemetry SDK for this process when tracing is configured: spans are batched
 * and sent over OTLP/HTTP (JSON), trace context travels as W3C `traceparent`. The app is the only
 * place the SDK is used; the packages speak the API. Without configuration nothing is registered
 * and every span is the API's no-op.
 */
export function startTracing(config: Config, exporter?: SpanExporter): Tracing | undefined {
  const settings = config.tracing;
  if (!settings && !exporter) return undefined;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      "service.name": settings?.serviceName ?? "fractal-agents-runtime",
      "service.version": VERSION,
      "fractal.role": config.role,
    }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: exporter ?? new OTLPTraceExporter({ url: settings?.tracesUrl, headers: settings?.headers }),
        scheduledDelayMillis: 1_000,
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  enableTracing(true);
  return {
    async shutdown() {
      enableTracing(false);
      await provider.shutdown().catch(() => {});
    },
  };
}
