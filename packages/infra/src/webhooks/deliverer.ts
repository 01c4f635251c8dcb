import { createHmac } from "node:crypto";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics/metrics.ts";
import type { DeliveryStore } from "../storage/webhook-deliveries.ts";
import { refuseResolvedWebhook, type WebhookPolicy } from "./url-guard.ts";

export interface DelivererOptions {
  deliveries: DeliveryStore;
  policy: WebhookPolicy;
  logger: Logger;
  /** Delivery outcomes go here. */
  metrics?: Metrics;
  /** Sends requests for relative URLs to this server (in-process). */
  localFetch: (request: Request) => Promise<Response>;
  /** Signs each body with HMAC-SHA256 when set (header `X-Fractal-Signature: sha256=<hex>`). */
  secret?: string;
  maxAttempts: number;
  /** First retry delay; each next one doubles. */
  retryBaseMs: number;
  timeoutMs?: number;
  pollMs?: number;
}

export interface Deliverer {
  start(): void;
  /** Look for due deliveries now (a run just ended). */
  kick(): void;
  stop(): Promise<void>;
}

/**
 * Sends webhook deliveries in the background, so a slow or failing endpoint never holds up a worker
 * or a run. Each attempt is claimed in the database (several processes may send), and retried with
 * exponential backoff until it succeeds or runs out of attempts.
 */
export function createDeliverer(options: DelivererOptions): Deliverer {
  const { deliveries, logger } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  const send = async (url: string, body: string): Promise<{ ok: boolean; status?: number; error?: string }> => {
    const refused = await refuseResolvedWebhook(url, options.policy);
    if (refused) return { ok: false, error: refused };
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.secret) {
      headers["x-fractal-signature"] = `sha256=${createHmac("sha256", options.secret).update(body).digest("hex")}`;
    }
    const init = { method: "POST", headers, body, signal: AbortSignal.timeout(timeoutMs), redirect: "manual" as const };
    try {
      const response = url.startsWith("/")
        ? await options.localFetch(new Request(`http://localhost${url}`, init))
        : await fetch(url, init);
      await response.body?.cancel().catch(() => {});
      return { ok: response.status >= 200 && response.status < 300, status: response.status };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  };

  const pass = async () => {
    do {
      again = false;
      const due = await deliveries.claim(20, timeoutMs * 2);
      await Promise.all(
        due.map(async (d) => {
          const result = await send(d.url, JSON.stringify(d.payload));
          const retry = !result.ok && d.attempts < options.maxAttempts;
          await deliveries.record(d.delivery_id, {
            ...result,
            ...(retry ? { retryInMs: options.retryBaseMs * 2 ** (d.attempts - 1) } : {}),
          });
          const log = { delivery_id: d.delivery_id, run_id: d.run_id, attempt: d.attempts, status: result.status };
          options.metrics?.webhookDeliveries.inc({ outcome: result.ok ? "delivered" : retry ? "retry" : "failed" });
          if (result.ok) logger.info("webhook delivered", log);
          else
            logger.warn(retry ? "webhook failed; will retry" : "webhook failed; giving up", {
              ...log,
              error: result.error,
            });
        }),
      );
      if (due.length === 20) again = true;
    } while (again);
  };

  const kick = () => {
    if (running) {
      again = true;
      return;
    }
    running = pass()
      .catch((error) => logger.error("webhook delivery pass failed", { error }))
      .finally(() => {
        running = undefined;
      });
  };

  return {
    start() {
      timer ??= setInterval(kick, options.pollMs ?? 500);
    },
    kick,
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
