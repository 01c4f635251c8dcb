import { type Kysely, type Selectable, sql } from "kysely";
import { iso, toJson } from "./json.ts";
import type { Tables, WebhookDeliveriesTable } from "./schema.ts";

export type DeliveryStatus = "pending" | "delivered" | "failed";

export interface Delivery {
  delivery_id: string;
  run_id: string;
  thread_id: string;
  url: string;
  payload: unknown;
  status: DeliveryStatus;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

/** Webhook deliveries: a row per run end, retried until delivered or out of attempts. */
export interface DeliveryStore {
  enqueue(input: { run_id: string; thread_id: string; url: string; payload: unknown }): Promise<void>;
  /** Takes due deliveries for one attempt; they are hidden from other senders for `holdMs`. */
  claim(limit: number, holdMs: number): Promise<Delivery[]>;
  /** Records an attempt: delivered, or retried after `retryInMs`, or failed when none is left. */
  record(
    deliveryId: string,
    result: { ok: boolean; status?: number; error?: string; retryInMs?: number },
  ): Promise<void>;
  forRun(runId: string): Promise<Delivery[]>;
  truncate(): Promise<void>;
}

function toDelivery(row: Selectable<WebhookDeliveriesTable>): Delivery {
  const { next_attempt_at: _next, ...rest } = row;
  return {
    ...rest,
    status: row.status as DeliveryStatus,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export function createDeliveryStore(db: Kysely<Tables>): DeliveryStore {
  return {
    async enqueue(input) {
      await db
        .insertInto("webhook_deliveries")
        .values({
          delivery_id: crypto.randomUUID(),
          run_id: input.run_id,
          thread_id: input.thread_id,
          url: input.url,
          payload: toJson(input.payload),
          status: "pending",
          next_attempt_at: new Date(),
          created_at: new Date(),
          updated_at: new Date(),
        })
        .execute();
    },

    async claim(limit, holdMs) {
      const result = await sql<Selectable<WebhookDeliveriesTable>>`
        update webhook_deliveries set attempts = attempts + 1, updated_at = now(),
               next_attempt_at = now() + ${`${holdMs} milliseconds`}::interval
        where delivery_id in (
          select delivery_id from webhook_deliveries
          where status = 'pending' and next_attempt_at <= now()
          order by next_attempt_at limit ${limit}
          for update skip locked)
        returning *`.execute(db);
      return result.rows.map(toDelivery);
    },

    async record(deliveryId, result) {
      await db
        .updateTable("webhook_deliveries")
        .set({
          status: result.ok ? "delivered" : result.retryInMs === undefined ? "failed" : "pending",
          last_status: result.status ?? null,
          last_error: result.ok ? null : (result.error ?? `HTTP ${result.status}`),
          next_attempt_at: sql`now() + ${`${result.retryInMs ?? 0} milliseconds`}::interval`,
          updated_at: new Date(),
        })
        .where("delivery_id", "=", deliveryId)
        .execute();
    },

    async forRun(runId) {
      const rows = await db
        .selectFrom("webhook_deliveries")
        .selectAll()
        .where("run_id", "=", runId)
        .orderBy("created_at")
        .execute();
      return rows.map(toDelivery);
    },

    async truncate() {
      await sql`truncate webhook_deliveries`.execute(db);
    },
  };
}
