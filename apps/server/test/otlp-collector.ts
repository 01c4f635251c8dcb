/** One span as an OTLP/HTTP JSON export carries it, flattened for assertions. */
export interface CollectedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  /** The exporting process's `fractal.role` resource attribute (all, api, worker). */
  role?: string;
  service?: string;
  attributes: Record<string, unknown>;
  status?: { code?: number; message?: string };
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type OtlpAttribute = { key: string; value: OtlpValue };

function attributeValue(value: OtlpValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  return value.boolValue;
}

const attributesOf = (list: OtlpAttribute[] | undefined) =>
  Object.fromEntries((list ?? []).map((a) => [a.key, attributeValue(a.value)]));

/** A stand-in OpenTelemetry collector: accepts OTLP/HTTP JSON trace exports on loopback and keeps the spans. */
export function startCollector() {
  const spans: CollectedSpan[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      if (new URL(request.url).pathname !== "/v1/traces") return new Response("not found", { status: 404 });
      const body = (await request.json()) as {
        resourceSpans?: Array<{
          resource?: { attributes?: OtlpAttribute[] };
          scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }>;
        }>;
      };
      for (const resourceSpans of body.resourceSpans ?? []) {
        const resource = attributesOf(resourceSpans.resource?.attributes);
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({
              name: span.name as string,
              traceId: span.traceId as string,
              spanId: span.spanId as string,
              parentSpanId: (span.parentSpanId as string | undefined) || undefined,
              role: resource["fractal.role"] as string | undefined,
              service: resource["service.name"] as string | undefined,
              attributes: attributesOf(span.attributes as OtlpAttribute[]),
              status: span.status as CollectedSpan["status"],
            });
          }
        }
      }
      return Response.json({});
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    spans,
    /** Waits until a span matching `match` arrived (exports are batched about once a second). */
    async waitFor(match: (span: CollectedSpan) => boolean, timeoutMs = 15_000): Promise<CollectedSpan> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = spans.find(match);
        if (found) return found;
        await Bun.sleep(50);
      }
      throw new Error(`no matching span arrived; got ${JSON.stringify(spans.map((s) => s.name))}`);
    },
    stop: () => server.stop(true),
  };
}
