import type { RunnableConfig } from "@langchain/core/runnables";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import type pg from "pg";
import { CheckpointSerializer } from "./checkpoint-serde.ts";

type PutArgs = Parameters<PostgresSaver["put"]>;
type WriteRow = Awaited<ReturnType<PostgresSaver["_dumpWrites"]>>[number];
type Framed = Uint8Array | null | undefined;
type Row = { channel_values?: unknown; pending_writes?: unknown };

/** `int4 length ‖ bytes` of a text or bytea expression; a null value is length -1 and no bytes. */
const frame = (expr: string, text = true) => {
  const bytes = text ? `convert_to(${expr}, 'UTF8')` : expr;
  return `int4send(coalesce(octet_length(${bytes}), -1)) || coalesce(${bytes}, ''::bytea)`;
};

/**
 * The saver's select with each checkpoint's channel blobs and pending writes as one length-prefixed
 * bytea each, where the stock query aggregates them into a `bytea[][]`. pg parses an array's text
 * form one character at a time in JavaScript, which on a long conversation (a `messages` blob of a
 * few hundred kB, hex-encoded) was the largest single cost of reading a thread; a bytea is decoded
 * natively.
 */
const FRAMED_SELECT = `select thread_id, checkpoint, checkpoint_ns, checkpoint_id, parent_checkpoint_id, metadata,
    (select string_agg(${frame("bl.channel")} || ${frame("bl.type")} || ${frame("bl.blob", false)}, ''::bytea)
       from jsonb_each_text(cp.checkpoint -> 'channel_versions') v
       join checkpoint_blobs bl on bl.thread_id = cp.thread_id and bl.checkpoint_ns = cp.checkpoint_ns
        and bl.channel = v.key and bl.version = v.value) as channel_values,
    (select string_agg(${frame("cw.task_id::text")} || ${frame("cw.channel")} || ${frame("cw.type")} || ${frame("cw.blob", false)},
                       ''::bytea order by cw.task_id, cw.idx)
       from checkpoint_writes cw
       where cw.thread_id = cp.thread_id and cw.checkpoint_ns = cp.checkpoint_ns
        and cw.checkpoint_id = cp.checkpoint_id) as pending_writes
  from checkpoints cp `;

/** Splits FRAMED_SELECT's bytea back into tuples of `fields` values (null stays undefined). */
export function unframe(framed: Framed, fields: number): (Uint8Array | undefined)[][] {
  if (!framed) return [];
  const view = new DataView(framed.buffer, framed.byteOffset, framed.byteLength);
  const out: (Uint8Array | undefined)[][] = [];
  let at = 0;
  while (at < framed.byteLength) {
    const tuple: (Uint8Array | undefined)[] = [];
    for (let f = 0; f < fields; f++) {
      const length = view.getInt32(at);
      at += 4;
      tuple.push(length < 0 ? undefined : framed.subarray(at, at + length));
      at += Math.max(0, length);
    }
    out.push(tuple);
  }
  return out;
}

/** A row's blobs or writes as the stock loaders take them: framed here, arrays in the stock shape. */
const tuples = <T>(value: unknown, fields: number): T =>
  (Array.isArray(value) || value == null ? value : unframe(value as Uint8Array, fields)) as T;

/** `$a, $b, …` for the next `count` parameters after the `taken` ones, with casts by position. */
function nextParams(taken: number, count: number, casts: Record<number, string> = {}): string {
  return Array.from({ length: count }, (_, i) => `$${taken + i + 1}${casts[i] ?? ""}`).join(", ");
}

/**
 * The LangGraph PostgreSQL checkpointer as this runtime uses it:
 *
 * - **One round trip per write.** The stock saver sends BEGIN, one INSERT per channel blob, the
 *   checkpoint and COMMIT (and BEGIN, one INSERT per pending write, COMMIT), each a round trip; on
 *   the embedded database each waits its turn on the one session. Here a checkpoint and its blobs
 *   are one statement (a data-modifying CTE), and a task's writes one multi-row INSERT: atomic
 *   without a transaction block.
 * - **Fork-safe channel versions.** The stock saver counts versions 1, 2, 3… and stores blobs under
 *   (thread, ns, channel, version) with ON CONFLICT DO NOTHING, so two branches forked from one
 *   checkpoint reach the same version and the second branch's values are silently dropped
 *   (langgraphjs issue 1812). A zero-padded counter keeps versions ordered as strings; a random
 *   suffix keeps sibling branches apart.
 * - **A quicker reader** for checkpoints of messages (`CheckpointSerializer`); the format is LangGraph's.
 * - **Run metadata.** Each checkpoint carries the writing run's id, so a rollback can remove exactly
 *   that run's, and the run's metadata (its own, assistant_id, graph_id), so history can be filtered
 *   by it as on the Platform. LangGraph's internal keys (`langgraph_*`, `__*`) stay out.
 */
export class RuntimeCheckpointSaver extends PostgresSaver {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    super(pool, new CheckpointSerializer());
    this.#pool = pool;
    const self = this as unknown as { SQL_STATEMENTS: Record<string, string> };
    self.SQL_STATEMENTS = { ...self.SQL_STATEMENTS, SELECT_SQL: FRAMED_SELECT };
  }

  protected override _loadBlobs(blobs: Parameters<PostgresSaver["_loadBlobs"]>[0]) {
    return super._loadBlobs(tuples(blobs, 3));
  }

  protected override _loadWrites(writes: Parameters<PostgresSaver["_loadWrites"]>[0]) {
    return super._loadWrites(tuples(writes, 4));
  }

  /** Pre-v4 checkpoints get their sends appended as a stock-shaped tuple: unframe first. */
  override _migratePendingSends(...[sends, row]: Parameters<PostgresSaver["_migratePendingSends"]>) {
    const mutable = row as Row;
    mutable.channel_values = tuples(mutable.channel_values, 3);
    return super._migratePendingSends(sends, row);
  }

  override async put(...[config, checkpoint, metadata, newVersions]: PutArgs): Promise<RunnableConfig> {
    const configurable = config.configurable;
    if (configurable === undefined) throw new Error('Missing "configurable" field in "config" param');
    const { thread_id, checkpoint_ns = "", checkpoint_id, run_id } = configurable;
    const inherited: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config.metadata ?? {})) {
      if (!key.startsWith("langgraph_") && !key.startsWith("__")) inherited[key] = value;
    }
    // CheckpointMetadata declares no extra keys, but the saver stores the whole object.
    const stamped = { ...inherited, ...metadata, ...(typeof run_id === "string" ? { run_id } : {}) } as typeof metadata;
    const [blobs, storedMetadata] = await Promise.all([
      this._dumpBlobs(thread_id, checkpoint_ns, checkpoint.channel_values, newVersions),
      this._dumpMetadata(stamped),
    ]);
    const params: unknown[] = [
      thread_id,
      checkpoint_ns,
      checkpoint.id,
      checkpoint_id ?? null,
      this._dumpCheckpoint(checkpoint),
      storedMetadata,
    ];
    const blobRows = blobs.map(([, , channel, version, type, blob]) => {
      const row = `($1, $2, ${nextParams(params.length, 4, { 3: "::bytea" })})`;
      params.push(channel, version, type, blob ?? null);
      return row;
    });
    const withBlobs =
      blobRows.length === 0
        ? ""
        : `with blobs as (
             insert into checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
             values ${blobRows.join(", ")}
             on conflict (thread_id, checkpoint_ns, channel, version) do nothing)
           `;
    await this.#pool.query(
      `${withBlobs}insert into checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
       values ($1, $2, $3, $4, $5, $6)
       on conflict (thread_id, checkpoint_ns, checkpoint_id)
       do update set checkpoint = excluded.checkpoint, metadata = excluded.metadata`,
      params,
    );
    return { configurable: { thread_id, checkpoint_ns, checkpoint_id: checkpoint.id } };
  }

  override async putWrites(config: RunnableConfig, writes: [string, unknown][], taskId: string): Promise<void> {
    const { thread_id, checkpoint_ns, checkpoint_id } = config.configurable ?? {};
    const dumped = await this._dumpWrites(thread_id, checkpoint_ns, checkpoint_id, taskId, writes);
    if (dumped.length === 0) return;
    // Special channels (errors, interrupts, resumes, scheduled) have fixed negative indexes and
    // replace what the task wrote before; ordinary writes keep the first copy. A multi-row upsert
    // may not touch a row twice, so only the last write of each special index is sent.
    const special = dumped.every((w) => w[4] < 0);
    const rows: WriteRow[] = special ? [...new Map(dumped.map((w) => [w[4], w])).values()] : dumped;
    const params: unknown[] = [thread_id, checkpoint_ns, checkpoint_id, taskId];
    const values = rows.map(([, , , , idx, channel, type, blob]) => {
      const row = `($1, $2, $3, $4, ${nextParams(params.length, 4, { 3: "::bytea" })})`;
      params.push(idx, channel, type, blob);
      return row;
    });
    await this.#pool.query(
      `insert into checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob)
       values ${values.join(", ")}
       on conflict (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) do ${
         special ? "update set channel = excluded.channel, type = excluded.type, blob = excluded.blob" : "nothing"
       }`,
      params,
    );
  }

  // @ts-expect-error PostgresSaver is typed for numeric versions; LangGraph accepts string ones.
  override getNextVersion(current: string | number | undefined): string {
    const counter =
      current === undefined
        ? 0
        : typeof current === "number"
          ? current
          : Number.parseInt(current.split(".")[0] ?? "0", 10);
    const suffix = crypto.getRandomValues(new Uint32Array(2)).join("").padStart(20, "0").slice(0, 20);
    return `${String(counter + 1).padStart(32, "0")}.${suffix}`;
  }
}
