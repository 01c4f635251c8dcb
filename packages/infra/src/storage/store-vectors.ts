import { type Kysely, sql } from "kysely";

/** Semantic search settings (`store.index` in langgraph.json), with the embedding function loaded. */
export interface StoreIndex {
  dims: number;
  /** Value paths embedded per item (`$` is the whole value); an item's `index` overrides them. */
  fields: string[];
  embed(texts: string[]): Promise<number[][]>;
}

/** How similarity is computed: pgvector's operator, or exact cosine over float arrays in SQL. */
export type VectorMode = "pgvector" | "exact";

/**
 * Creates the vector table for the configured index. It is not a migration: whether it exists and
 * which column type it has depend on the configuration and on the database having pgvector. An
 * existing table keeps its type.
 */
export async function prepareVectors(db: Kysely<unknown>, options: { exact?: boolean } = {}): Promise<VectorMode> {
  const existing = await sql<{ udt_name: string }>`
    select udt_name from information_schema.columns
    where table_name = 'store_vectors' and column_name = 'embedding'`.execute(db);
  const type = existing.rows[0]?.udt_name;
  if (type) return type === "vector" ? "pgvector" : "exact";
  const available = await sql<{ name: string }>`
    select name from pg_available_extensions where name = 'vector'`.execute(db);
  let mode: VectorMode = "exact";
  if (available.rows.length > 0 && !options.exact) {
    try {
      await sql`create extension if not exists vector`.execute(db);
      mode = "pgvector";
    } catch {
      mode = "exact";
    }
  }
  const column = mode === "pgvector" ? sql`vector` : sql`double precision[]`;
  await sql`
    create table if not exists store_vectors (
      namespace text not null,
      key text not null,
      field text not null,
      embedding ${column} not null,
      norm double precision not null,
      primary key (namespace, key, field),
      foreign key (namespace, key) references store_items (namespace, key) on delete cascade
    )`.execute(db);
  return mode;
}

/** Text of a value at a dotted path (`$` for the whole value); non-strings as JSON. */
export function textAt(value: Record<string, unknown>, path: string): string | undefined {
  let current: unknown = value;
  if (path !== "$") {
    for (const part of path.split(".")) {
      if (current === null || typeof current !== "object") return undefined;
      current = (current as Record<string, unknown>)[part];
    }
  }
  if (current === undefined || current === null) return undefined;
  return typeof current === "string" ? current : JSON.stringify(current);
}

export function norm(vector: number[]): number {
  return Math.sqrt(vector.reduce((s, x) => s + x * x, 0)) || 1;
}

/** A vector as a SQL value for the table's column type. */
export function vectorValue(mode: VectorMode, vector: number[]) {
  return mode === "pgvector" ? sql`${`[${vector.join(",")}]`}::vector` : sql`${vector}::double precision[]`;
}

/** Cosine similarity between the row's embedding (`v`) and a query vector, as SQL. */
export function similarity(mode: VectorMode, query: number[]) {
  if (mode === "pgvector") return sql<number>`1 - (v.embedding <=> ${`[${query.join(",")}]`}::vector)`;
  return sql<number>`(select sum(a * b) from unnest(v.embedding, ${query}::double precision[]) as t(a, b)) / (v.norm * ${norm(query)})`;
}
