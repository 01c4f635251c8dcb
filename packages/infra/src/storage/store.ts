import {
  BaseStore,
  type GetOperation,
  type Item,
  type ListNamespacesOperation,
  type Operation,
  type OperationResults,
  type PutOperation,
  type SearchItem,
  type SearchOperation,
} from "@langchain/langgraph-checkpoint";
import { type Kysely, type Selectable, sql } from "kysely";
import { AppError, validationFailed } from "../errors.ts";
import { toJson } from "./json.ts";
import type { StoreItemsTable, Tables } from "./schema.ts";
import { norm, type StoreIndex, similarity, textAt, type VectorMode, vectorValue } from "./store-vectors.ts";

type Obj = Record<string, unknown>;

/** Deepest namespace accepted. */
export const MAX_NAMESPACE_DEPTH = 20;

/** Labels are joined with "." in the table, so they may not contain one, nor be empty. */
export function checkNamespace(namespace: string[], what = "namespace", allowEmpty = false): void {
  if (namespace.length === 0 && !allowEmpty) throw invalid(`${what} must have at least one label`);
  if (namespace.length > MAX_NAMESPACE_DEPTH) throw invalid(`${what} is deeper than ${MAX_NAMESPACE_DEPTH} labels`);
  for (const label of namespace) {
    if (typeof label !== "string" || label.length === 0) throw invalid(`${what} labels may not be empty`);
    if (label.includes(".")) throw invalid(`${what} label '${label}' contains a period ('.')`);
  }
}

function invalid(message: string): AppError {
  return validationFailed(message);
}

export interface StoreSearch {
  namespacePrefix: string[];
  /** Items whose value contains these fields with these values (JSON equality). */
  filter?: Obj;
  /** Text to rank by meaning (semantic search must be configured). */
  query?: string;
  limit: number;
  offset: number;
  refreshTtl?: boolean;
}

export interface NamespaceQuery {
  prefix?: string[];
  suffix?: string[];
  maxDepth?: number;
  limit: number;
  offset: number;
}

/**
 * The one store: the `/store` API and graphs (`config.store`, `getStore()`) read and write the same
 * rows. Items may expire (`ttl` in minutes); an expired item is invisible at once and deleted by
 * `sweep()`. Reading with `refreshTtl` starts an item's time to live again.
 */
export class FractalStore extends BaseStore {
  readonly #db: Kysely<Tables>;
  readonly #vectors: { index: StoreIndex; mode: VectorMode } | undefined;

  /** `vectors`: semantic search, when `store.index` is configured. */
  constructor(db: Kysely<Tables>, vectors?: { index: StoreIndex; mode: VectorMode }) {
    super();
    this.#db = db;
    this.#vectors = vectors;
  }

  /** How semantic search runs here, if it is configured. */
  get vectorMode(): VectorMode | undefined {
    return this.#vectors?.mode;
  }

  async getItem(namespace: string[], key: string, refreshTtl = false): Promise<Item | null> {
    checkNamespace(namespace);
    const row = refreshTtl
      ? await this.#db
          .updateTable("store_items")
          .set({ expires_at: sql`now() + ttl_minutes * interval '1 minute'` })
          .where("namespace", "=", namespace.join("."))
          .where("key", "=", key)
          .where(live)
          .returningAll()
          .executeTakeFirst()
      : await this.#db
          .selectFrom("store_items")
          .selectAll()
          .where("namespace", "=", namespace.join("."))
          .where("key", "=", key)
          .where(live)
          .executeTakeFirst();
    return row ? toItem(row) : null;
  }

  /**
   * Writes an item (replacing any); `ttl` in minutes, none for an item that never expires. With
   * semantic search configured, the item's fields (or those `index` names; `false`: none) are embedded.
   */
  async putItem(
    namespace: string[],
    key: string,
    value: Obj,
    ttl?: number | null,
    index?: false | string[] | null,
  ): Promise<void> {
    checkNamespace(namespace);
    const embedded = await this.#embedItem(value, index);
    const ns = namespace.join(".");
    const minutes = ttl ?? null;
    const expires = minutes === null ? null : sql<Date>`now() + ${minutes} * interval '1 minute'`;
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto("store_items")
        .values({ namespace: ns, key, value: toJson(value), ttl_minutes: minutes, expires_at: expires })
        .onConflict((oc) =>
          oc.columns(["namespace", "key"]).doUpdateSet({
            value: toJson(value),
            updated_at: sql`now()`,
            ttl_minutes: minutes,
            expires_at: expires,
            // A replaced expired item is a new item.
            created_at: sql`case when store_items.expires_at <= now() then now() else store_items.created_at end`,
          }),
        )
        .execute();
      if (!this.#vectors) return;
      await trx.deleteFrom("store_vectors").where("namespace", "=", ns).where("key", "=", key).execute();
      for (const { field, vector } of embedded) {
        await trx
          .insertInto("store_vectors")
          .values({
            namespace: ns,
            key,
            field,
            embedding: vectorValue(this.#vectors.mode, vector),
            norm: norm(vector),
          })
          .execute();
      }
    });
  }

  async #embedItem(value: Obj, index: false | string[] | null | undefined) {
    if (!this.#vectors || index === false) return [];
    const fields = index ?? this.#vectors.index.fields;
    const texts = fields.map((field) => ({ field, text: textAt(value, field) })).filter((t) => t.text !== undefined);
    if (texts.length === 0) return [];
    const vectors = await this.#embed(texts.map((t) => t.text as string));
    return texts.map((t, i) => ({ field: t.field, vector: vectors[i] as number[] }));
  }

  async #embed(texts: string[]): Promise<number[][]> {
    const index = (this.#vectors as { index: StoreIndex }).index;
    const vectors = await index.embed(texts);
    if (vectors.length !== texts.length || vectors.some((v) => v.length !== index.dims)) {
      throw new AppError(
        "internal_error",
        `the store's embedding function must return ${texts.length} vector(s) of ${index.dims} numbers`,
      );
    }
    return vectors;
  }

  async deleteItem(namespace: string[], key: string): Promise<void> {
    checkNamespace(namespace);
    await this.#db
      .deleteFrom("store_items")
      .where("namespace", "=", namespace.join("."))
      .where("key", "=", key)
      .execute();
  }

  /** With `query` and semantic search configured, the most similar first (`score`: cosine similarity). */
  async searchItems(search: StoreSearch): Promise<SearchItem[]> {
    checkNamespace(search.namespacePrefix, "namespace_prefix", true);
    let q = this.#db.selectFrom("store_items").selectAll("store_items").where(live);
    if (search.namespacePrefix.length > 0) q = q.where(underPrefix(search.namespacePrefix));
    if (search.filter && Object.keys(search.filter).length > 0) {
      q = q.where(sql<boolean>`store_items.value @> ${toJson(search.filter)}::jsonb`);
    }
    if (search.query && this.#vectors) {
      const [vector] = await this.#embed([search.query]);
      const scores = this.#db
        .selectFrom("store_vectors as v")
        .select([
          "v.namespace",
          "v.key",
          sql<number>`max(${similarity(this.#vectors.mode, vector as number[])})`.as("score"),
        ])
        .groupBy(["v.namespace", "v.key"]);
      const rows = await q
        .leftJoin(scores.as("s"), (join) =>
          join.onRef("s.namespace", "=", "store_items.namespace").onRef("s.key", "=", "store_items.key"),
        )
        .select("s.score")
        .orderBy("s.score", (ob) => ob.desc().nullsLast())
        .orderBy("store_items.updated_at", "desc")
        .limit(search.limit)
        .offset(search.offset)
        .execute();
      if (search.refreshTtl) await this.#refresh(rows);
      return rows.map((row) => ({ ...toItem(row), ...(row.score === null ? {} : { score: Number(row.score) }) }));
    }
    const rows = await q
      .orderBy("store_items.updated_at", "desc")
      .orderBy("store_items.namespace")
      .orderBy("store_items.key")
      .limit(search.limit)
      .offset(search.offset)
      .execute();
    if (search.refreshTtl) await this.#refresh(rows);
    return rows.map(toItem);
  }

  async listNamespaceItems(query: NamespaceQuery): Promise<string[][]> {
    if (query.prefix) checkNamespace(query.prefix, "prefix", true);
    if (query.suffix) checkNamespace(query.suffix, "suffix", true);
    let q = this.#db.selectFrom("store_items").select("namespace").distinct().where(live);
    if (query.prefix && query.prefix.length > 0) q = q.where(underPrefix(query.prefix));
    const rows = await q.orderBy("namespace").execute();
    const seen = new Set<string>();
    const out: string[][] = [];
    for (const { namespace } of rows) {
      const labels = namespace.split(".");
      if (query.suffix && !endsWith(labels, query.suffix)) continue;
      const cut = query.maxDepth === undefined ? labels : labels.slice(0, query.maxDepth);
      const id = cut.join(".");
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(cut);
    }
    return out.slice(query.offset, query.offset + query.limit);
  }

  /** Deletes expired items; returns how many. */
  async sweep(): Promise<number> {
    const result = await this.#db
      .deleteFrom("store_items")
      .where("expires_at", "<=", sql<Date>`now()`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async truncate(): Promise<void> {
    await sql`truncate store_items cascade`.execute(this.#db);
  }

  /** LangGraph's store interface, for graphs: the same rows as the API. */
  async batch<Op extends Operation[]>(operations: Op): Promise<OperationResults<Op>> {
    const results: unknown[] = [];
    for (const op of operations) {
      if ("namespacePrefix" in op) {
        const search = op as SearchOperation;
        results.push(
          await this.searchItems({
            namespacePrefix: search.namespacePrefix,
            filter: search.filter,
            query: search.query,
            limit: search.limit ?? 10,
            offset: search.offset ?? 0,
          }),
        );
      } else if ("value" in op) {
        const put = op as PutOperation;
        if (put.value === null) await this.deleteItem(put.namespace, put.key);
        else await this.putItem(put.namespace, put.key, put.value, null, put.index);
        results.push(undefined);
      } else if ("key" in op) {
        const get = op as GetOperation;
        results.push(await this.getItem(get.namespace, get.key));
      } else {
        const list = op as ListNamespacesOperation;
        const prefix = list.matchConditions?.find((m) => m.matchType === "prefix")?.path;
        const suffix = list.matchConditions?.find((m) => m.matchType === "suffix")?.path;
        results.push(
          await this.listNamespaceItems({
            prefix: prefix as string[] | undefined,
            suffix: suffix as string[] | undefined,
            maxDepth: list.maxDepth,
            limit: list.limit,
            offset: list.offset,
          }),
        );
      }
    }
    return results as OperationResults<Op>;
  }

  /** Restarts the TTL of the items read, in one statement. */
  async #refresh(rows: Array<Selectable<StoreItemsTable>>): Promise<void> {
    const expiring = rows.filter((r) => r.ttl_minutes !== null);
    if (expiring.length === 0) return;
    const keys = sql.join(expiring.map((r) => sql`(${r.namespace}, ${r.key})`));
    await this.#db
      .updateTable("store_items")
      .set({ expires_at: sql`now() + ttl_minutes * interval '1 minute'` })
      .where(sql<boolean>`(namespace, key) in (${keys})`)
      .execute();
  }
}

/** Not expired. */
const live = sql<boolean>`(expires_at is null or expires_at > now())`;

/** Items in the namespace `labels` or below it (labels are joined with "."). */
function underPrefix(labels: string[]) {
  const prefix = labels.join(".");
  return sql<boolean>`(store_items.namespace = ${prefix} or store_items.namespace like ${`${escapeLike(prefix)}.%`})`;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function endsWith(labels: string[], suffix: string[]): boolean {
  if (suffix.length > labels.length) return false;
  return suffix.every((label, i) => label === "*" || labels[labels.length - suffix.length + i] === label);
}

function toItem(row: Selectable<StoreItemsTable>): Item {
  return {
    namespace: row.namespace.split("."),
    key: row.key,
    value: row.value as Obj,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
