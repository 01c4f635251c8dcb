import { type Kysely, sql } from "kysely";
import { type Migration, Migrator } from "kysely/migration";
import { AppError } from "../errors.ts";

// Versioned migrations, in order. Never edit one that has shipped: add the next.
// SQL stays neutral between PostgreSQL 15 and 18 (PGlite is 18).
const MIGRATIONS: Record<string, Migration> = {
  "0001_assistants_threads": {
    async up(db: Kysely<unknown>) {
      const vectorAvailable = await sql<{ ok: number }>`
        select 1 as ok from pg_available_extensions where name = 'vector'`.execute(db);
      if (vectorAvailable.rows.length > 0) await sql`create extension if not exists vector`.execute(db);

      await sql`
        create table assistants (
          assistant_id uuid primary key,
          graph_id text not null,
          name text not null,
          description text,
          config jsonb not null default '{}',
          context jsonb not null default '{}',
          metadata jsonb not null default '{}',
          version integer not null default 1,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now()
        )`.execute(db);
      await sql`create index assistants_graph_id_idx on assistants (graph_id)`.execute(db);
      await sql`create index assistants_metadata_idx on assistants using gin (metadata jsonb_path_ops)`.execute(db);

      await sql`
        create table assistant_versions (
          assistant_id uuid not null references assistants (assistant_id) on delete cascade,
          version integer not null,
          graph_id text not null,
          name text not null,
          description text,
          config jsonb not null default '{}',
          context jsonb not null default '{}',
          metadata jsonb not null default '{}',
          created_at timestamptz not null default now(),
          primary key (assistant_id, version)
        )`.execute(db);

      await sql`
        create table threads (
          thread_id uuid primary key,
          metadata jsonb not null default '{}',
          config jsonb not null default '{}',
          status text not null default 'idle',
          "values" jsonb,
          interrupts jsonb not null default '{}',
          error jsonb,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now(),
          state_updated_at timestamptz not null default now(),
          seq bigserial
        )`.execute(db);
      await sql`create index threads_metadata_idx on threads using gin (metadata jsonb_path_ops)`.execute(db);
      await sql`create index threads_status_idx on threads (status)`.execute(db);
      await sql`create index threads_created_at_idx on threads (created_at)`.execute(db);
    },
  },
  "0002_runs": {
    async up(db: Kysely<unknown>) {
      await sql`
        create table runs (
          run_id uuid primary key,
          thread_id uuid not null references threads (thread_id) on delete cascade,
          assistant_id uuid not null,
          status text not null default 'pending',
          metadata jsonb not null default '{}',
          kwargs jsonb not null default '{}',
          multitask_strategy text,
          attempt integer not null default 0,
          available_at timestamptz not null default now(),
          lease_owner text,
          lease_expires_at timestamptz,
          cancel_action text,
          error jsonb,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now(),
          seq bigserial
        )`.execute(db);
      await sql`create index runs_pending_idx on runs (available_at, seq) where status = 'pending'`.execute(db);
      await sql`create index runs_thread_idx on runs (thread_id, seq)`.execute(db);
      // The database itself guarantees at most one running run per thread.
      await sql`create unique index runs_one_running_per_thread on runs (thread_id) where status = 'running'`.execute(
        db,
      );
      await sql`create index runs_lease_idx on runs (lease_expires_at) where status = 'running'`.execute(db);
    },
  },
  "0003_runs_active_idx": {
    async up(db: Kysely<unknown>) {
      // Run creation and finish look for a thread's active runs: this keeps that lookup constant
      // however many finished runs the thread has.
      await sql`create index runs_active_idx on runs (thread_id, seq) where status in ('pending', 'running')`.execute(
        db,
      );
    },
  },
  "0004_store": {
    async up(db: Kysely<unknown>) {
      // Namespaces are stored as their labels joined with "." (labels may not contain dots), so a
      // prefix search is a range scan on the text.
      await sql`
        create table store_items (
          namespace text not null,
          key text not null,
          value jsonb not null,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now(),
          ttl_minutes double precision,
          expires_at timestamptz,
          primary key (namespace, key)
        )`.execute(db);
      await sql`create index store_items_namespace_idx on store_items (namespace text_pattern_ops)`.execute(db);
      await sql`create index store_items_expires_idx on store_items (expires_at) where expires_at is not null`.execute(
        db,
      );
    },
  },
  "0005_thread_ttl": {
    async up(db: Kysely<unknown>) {
      // A thread with a TTL expires that many minutes after its last activity (create, patch, a run
      // ending); the sweep deletes it with its runs and checkpoints.
      await sql`alter table threads add column ttl_minutes double precision`.execute(db);
      await sql`alter table threads add column expires_at timestamptz`.execute(db);
      await sql`create index threads_expires_idx on threads (expires_at) where expires_at is not null`.execute(db);
    },
  },
  "0006_webhook_deliveries": {
    async up(db: Kysely<unknown>) {
      await sql`
        create table webhook_deliveries (
          delivery_id uuid primary key,
          run_id uuid not null,
          thread_id uuid not null,
          url text not null,
          payload jsonb not null,
          status text not null default 'pending',
          attempts integer not null default 0,
          next_attempt_at timestamptz not null default now(),
          last_status integer,
          last_error text,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now()
        )`.execute(db);
      await sql`create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where status = 'pending'`.execute(
        db,
      );
      await sql`create index webhook_deliveries_run_idx on webhook_deliveries (run_id)`.execute(db);
    },
  },
  "0007_crons": {
    async up(db: Kysely<unknown>) {
      await sql`
        create table crons (
          cron_id uuid primary key,
          assistant_id uuid not null,
          thread_id uuid references threads (thread_id) on delete cascade,
          schedule text not null,
          timezone text,
          payload jsonb not null default '{}',
          metadata jsonb not null default '{}',
          enabled boolean not null default true,
          end_time timestamptz,
          on_run_completed text not null default 'delete',
          next_run_date timestamptz,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now()
        )`.execute(db);
      await sql`create index crons_due_idx on crons (next_run_date) where enabled`.execute(db);
    },
  },
  // Run events for several processes without Redis (FRACTAL_EVENTS=postgres): numbered per run,
  // announced with NOTIFY; a row without event closes the run.
  "0008_run_events": {
    async up(db: Kysely<unknown>) {
      await sql`
        create table run_events (
          run_id uuid not null,
          seq integer not null,
          event text,
          data jsonb,
          created_at timestamptz not null default now(),
          expires_at timestamptz,
          primary key (run_id, seq)
        )`.execute(db);
      await sql`create index run_events_expiry_idx on run_events (expires_at) where expires_at is not null`.execute(db);
      await sql`create index run_events_created_idx on run_events (created_at)`.execute(db);
    },
  },
  // The W3C trace context of the request that created a run: the worker's run span continues it.
  "0009_run_trace_context": {
    async up(db: Kysely<unknown>) {
      await sql`alter table runs add column trace_context jsonb`.execute(db);
    },
  },
};

/** Names of the migrations this build knows, oldest first. */
export const KNOWN_MIGRATIONS: readonly string[] = Object.keys(MIGRATIONS).sort();

function createMigrator(db: Kysely<unknown>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
}

export interface SchemaStatus {
  applied: string[];
  pending: string[];
  /** Applied migrations this build does not know: the database is newer than the code. */
  unknown: string[];
}

/** Reads which migrations the database has, without changing it. */
export async function readSchemaStatus(db: Kysely<unknown>): Promise<SchemaStatus> {
  const infos = await createMigrator(db).getMigrations();
  const applied = infos.filter((m) => m.executedAt !== undefined).map((m) => m.name);
  const pending = infos.filter((m) => m.executedAt === undefined).map((m) => m.name);
  const exists = await sql<{ name: string | null }>`select to_regclass('kysely_migration')::text as name`.execute(db);
  let unknown: string[] = [];
  if (exists.rows[0]?.name) {
    const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    unknown = rows.rows.map((r) => r.name).filter((name) => !KNOWN_MIGRATIONS.includes(name));
  }
  return { applied, pending, unknown };
}

function refuseNewer(status: SchemaStatus): void {
  if (status.unknown.length > 0) {
    throw new AppError(
      "conflict",
      `the database schema is newer than this build (unknown migrations: ${status.unknown.join(", ")}); upgrade fractal-agents-runtime`,
    );
  }
}

/** Applies pending migrations; refuses a database whose schema is newer than the code. */
export async function migrateToLatest(db: Kysely<unknown>, onApplied?: (name: string) => void): Promise<string[]> {
  refuseNewer(await readSchemaStatus(db));
  const { error, results } = await createMigrator(db).migrateToLatest();
  if (error) throw new AppError("internal_error", `migration failed: ${String(error)}`, { cause: error });
  const applied = (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
  for (const name of applied) onApplied?.(name);
  return applied;
}

/** Start-up check when automatic migration is off: the schema must be exactly what the code knows. */
export async function assertSchemaCurrent(db: Kysely<unknown>): Promise<void> {
  const status = await readSchemaStatus(db);
  refuseNewer(status);
  if (status.pending.length > 0) {
    throw new AppError(
      "conflict",
      `the database schema is behind this build (pending: ${status.pending.join(", ")}); run \`fractal migrate\``,
    );
  }
}
