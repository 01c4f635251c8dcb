import { type Kysely, type Selectable, sql } from "kysely";
import type { Access } from "../auth/access.ts";
import { conflict, notFound } from "../errors.ts";
import { isUuid } from "../ids.ts";
import { accessCondition } from "./access-sql.ts";
import { iso, type Page, type SortOrder, toJson, toPage } from "./json.ts";
import type { AssistantsTable, AssistantVersionsTable, Tables } from "./schema.ts";

type Obj = Record<string, unknown>;

export interface Assistant {
  assistant_id: string;
  graph_id: string;
  name: string;
  description: string | null;
  config: Obj;
  context: Obj;
  metadata: Obj;
  version: number;
  created_at: string;
  updated_at: string;
}

export type AssistantVersion = Omit<Assistant, "updated_at">;

export interface CreateAssistant {
  assistant_id: string;
  graph_id: string;
  name?: string;
  description?: string | null;
  config?: Obj;
  context?: Obj;
  metadata?: Obj;
  if_exists?: "raise" | "do_nothing";
}

export interface UpdateAssistant {
  graph_id?: string;
  name?: string;
  description?: string | null;
  config?: Obj;
  context?: Obj;
  metadata?: Obj;
}

export interface AssistantFilter {
  graph_id?: string;
  /** Only resources the caller may see (auth); undefined: all. */
  access?: Access;
  name?: string;
  metadata?: Obj;
}

export type AssistantSortBy = "assistant_id" | "graph_id" | "name" | "created_at" | "updated_at";

export interface AssistantSearch extends AssistantFilter {
  limit: number;
  offset: number;
  sort_by?: AssistantSortBy;
  sort_order?: SortOrder;
}

export interface AssistantStore {
  create(input: CreateAssistant): Promise<{ assistant: Assistant; created: boolean }>;
  get(assistantId: string): Promise<Assistant>;
  find(assistantId: string): Promise<Assistant | undefined>;
  /** Writes a new version with the given fields (metadata merged) and makes it current. */
  update(assistantId: string, patch: UpdateAssistant): Promise<Assistant>;
  delete(assistantId: string): Promise<void>;
  search(query: AssistantSearch): Promise<Page<Assistant>>;
  count(filter: AssistantFilter): Promise<number>;
  versions(assistantId: string, query: { metadata?: Obj; limit: number; offset: number }): Promise<AssistantVersion[]>;
  setLatest(assistantId: string, version: number): Promise<Assistant>;
  truncate(): Promise<void>;
}

function toAssistant(row: Selectable<AssistantsTable>): Assistant {
  return { ...row, created_at: iso(row.created_at), updated_at: iso(row.updated_at) };
}

function toVersion(row: Selectable<AssistantVersionsTable>): AssistantVersion {
  return { ...row, created_at: iso(row.created_at) };
}

export function createAssistantStore(db: Kysely<Tables>): AssistantStore {
  const filtered = (filter: AssistantFilter) => {
    let query = db.selectFrom("assistants");
    if (filter.graph_id) query = query.where("graph_id", "=", filter.graph_id);
    if (filter.access) query = query.where(accessCondition(filter.access));
    // Name filter is a case-insensitive substring match.
    if (filter.name) query = query.where("name", "ilike", `%${escapeLike(filter.name)}%`);
    if (filter.metadata && Object.keys(filter.metadata).length > 0) {
      query = query.where(sql<boolean>`metadata @> ${toJson(filter.metadata)}::jsonb`);
    }
    return query;
  };

  const get = async (assistantId: string) => {
    const row = await db
      .selectFrom("assistants")
      .selectAll()
      .where("assistant_id", "=", assistantId)
      .executeTakeFirst();
    if (!row) throw notFound("assistant", assistantId);
    return toAssistant(row);
  };

  return {
    get,
    async find(assistantId) {
      if (!isUuid(assistantId)) return undefined;
      const row = await db
        .selectFrom("assistants")
        .selectAll()
        .where("assistant_id", "=", assistantId)
        .executeTakeFirst();
      return row ? toAssistant(row) : undefined;
    },

    async create(input) {
      const inserted = await db.transaction().execute(async (trx) => {
        const now = new Date();
        const values = {
          assistant_id: input.assistant_id,
          graph_id: input.graph_id,
          name: input.name ?? input.graph_id,
          description: input.description ?? null,
          config: toJson(input.config ?? {}),
          context: toJson(input.context ?? {}),
          metadata: toJson(input.metadata ?? {}),
        };
        const row = await trx
          .insertInto("assistants")
          .values({ ...values, version: 1, created_at: now, updated_at: now })
          .onConflict((oc) => oc.column("assistant_id").doNothing())
          .returningAll()
          .executeTakeFirst();
        if (row)
          await trx
            .insertInto("assistant_versions")
            .values({ ...values, version: 1, created_at: now })
            .execute();
        return row;
      });
      if (inserted) return { assistant: toAssistant(inserted), created: true };
      if (input.if_exists === "do_nothing") return { assistant: await get(input.assistant_id), created: false };
      throw conflict(`assistant '${input.assistant_id}' already exists`);
    },

    async update(assistantId, patch) {
      const row = await db.transaction().execute(async (trx) => {
        const current = await trx
          .selectFrom("assistants")
          .selectAll()
          .where("assistant_id", "=", assistantId)
          .forUpdate()
          .executeTakeFirst();
        if (!current) throw notFound("assistant", assistantId);
        const latest = await trx
          .selectFrom("assistant_versions")
          .select((eb) => eb.fn.max("version").as("max"))
          .where("assistant_id", "=", assistantId)
          .executeTakeFirstOrThrow();
        const version = Number(latest.max ?? 0) + 1;
        const now = new Date();
        const next = {
          graph_id: patch.graph_id ?? current.graph_id,
          name: patch.name ?? current.name,
          description: patch.description !== undefined ? patch.description : current.description,
          config: toJson(patch.config ?? current.config),
          context: toJson(patch.context ?? current.context),
          metadata: toJson({ ...current.metadata, ...(patch.metadata ?? {}) }),
        };
        await trx
          .insertInto("assistant_versions")
          .values({ ...next, assistant_id: assistantId, version, created_at: now })
          .execute();
        return trx
          .updateTable("assistants")
          .set({ ...next, version, updated_at: now })
          .where("assistant_id", "=", assistantId)
          .returningAll()
          .executeTakeFirstOrThrow();
      });
      return toAssistant(row);
    },

    async delete(assistantId) {
      const result = await db.deleteFrom("assistants").where("assistant_id", "=", assistantId).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw notFound("assistant", assistantId);
    },

    async search(query) {
      const rows = await filtered(query)
        .selectAll()
        .orderBy(query.sort_by ?? "created_at", query.sort_order ?? "desc")
        .orderBy("assistant_id")
        .limit(query.limit + 1)
        .offset(query.offset)
        .execute();
      const page = toPage(rows, query.limit, query.offset);
      return { items: page.items.map(toAssistant), next: page.next };
    },

    async count(filter) {
      const row = await filtered(filter)
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async versions(assistantId, query) {
      await get(assistantId);
      let q = db.selectFrom("assistant_versions").selectAll().where("assistant_id", "=", assistantId);
      if (query.metadata && Object.keys(query.metadata).length > 0) {
        q = q.where(sql<boolean>`metadata @> ${toJson(query.metadata)}::jsonb`);
      }
      const rows = await q.orderBy("version", "desc").limit(query.limit).offset(query.offset).execute();
      return rows.map(toVersion);
    },

    async setLatest(assistantId, version) {
      const row = await db.transaction().execute(async (trx) => {
        const v = await trx
          .selectFrom("assistant_versions")
          .selectAll()
          .where("assistant_id", "=", assistantId)
          .where("version", "=", version)
          .executeTakeFirst();
        if (!v) throw notFound("assistant version", `${assistantId}@${version}`);
        return trx
          .updateTable("assistants")
          .set({
            graph_id: v.graph_id,
            name: v.name,
            description: v.description,
            config: toJson(v.config),
            context: toJson(v.context),
            metadata: toJson(v.metadata),
            version: v.version,
            updated_at: new Date(),
          })
          .where("assistant_id", "=", assistantId)
          .returningAll()
          .executeTakeFirstOrThrow();
      });
      return toAssistant(row);
    },

    async truncate() {
      await sql`truncate assistant_versions, assistants`.execute(db);
    },
  };
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}
