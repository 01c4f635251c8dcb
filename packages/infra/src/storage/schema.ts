import type { ColumnType, Generated } from "kysely";

/** JSON columns: objects on read, JSON text on write. */
type Json<T = Record<string, unknown>> = ColumnType<T, string, string>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface AssistantsTable {
  assistant_id: string;
  graph_id: string;
  name: string;
  description: string | null;
  config: Json;
  context: Json;
  metadata: Json;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AssistantVersionsTable {
  assistant_id: string;
  version: number;
  graph_id: string;
  name: string;
  description: string | null;
  config: Json;
  context: Json;
  metadata: Json;
  created_at: Timestamp;
}

export interface ThreadsTable {
  thread_id: string;
  metadata: Json;
  config: Json;
  status: string;
  values: Json<unknown> | null;
  interrupts: Json;
  error: Json<unknown> | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  state_updated_at: Timestamp;
  ttl_minutes: ColumnType<number | null, number | null | undefined, number | null>;
  expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  seq: Generated<number>;
}

export interface RunsTable {
  run_id: string;
  thread_id: string;
  assistant_id: string;
  status: string;
  metadata: Json;
  kwargs: Json;
  multitask_strategy: string | null;
  attempt: Generated<number>;
  available_at: Timestamp;
  lease_owner: string | null;
  lease_expires_at: Timestamp | null;
  cancel_action: string | null;
  error: Json<unknown> | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  seq: Generated<number>;
  trace_context: Json<Record<string, string>> | null;
}

export interface StoreItemsTable {
  namespace: string;
  key: string;
  value: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
  ttl_minutes: number | null;
  expires_at: Timestamp | null;
}

export interface StoreVectorsTable {
  namespace: string;
  key: string;
  field: string;
  embedding: unknown;
  norm: number;
}

export interface WebhookDeliveriesTable {
  delivery_id: string;
  run_id: string;
  thread_id: string;
  url: string;
  payload: Json<unknown>;
  status: string;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  last_status: number | null;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CronsTable {
  cron_id: string;
  assistant_id: string;
  thread_id: string | null;
  schedule: string;
  timezone: string | null;
  payload: Json;
  metadata: Json;
  enabled: boolean;
  end_time: Timestamp | null;
  on_run_completed: string;
  next_run_date: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface Tables {
  crons: CronsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  store_vectors: StoreVectorsTable;
  store_items: StoreItemsTable;
  runs: RunsTable;
  assistants: AssistantsTable;
  assistant_versions: AssistantVersionsTable;
  threads: ThreadsTable;
}
