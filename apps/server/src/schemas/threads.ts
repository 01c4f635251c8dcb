import { z } from "zod";
import { extractPath, querySelect } from "../select.ts";
import {
  checkpointRef,
  ifExists,
  jsonObject,
  limit,
  MAX_TTL_MINUTES,
  offset,
  queryBool,
  queryInt,
  sortOrder,
  uuid,
} from "./common.ts";

const threadStatus = z.enum(["idle", "busy", "interrupted", "error"]);

/** TTL is accepted in the Platform's shape; sweeping arrives with thread TTL support. */
/** Minutes after the thread's last activity at which it is deleted (the only strategy served). */
const ttl = z.object({
  strategy: z.literal("delete").default("delete"),
  ttl: z.number().positive().max(MAX_TTL_MINUTES),
});

export const threadIdParams = z.object({ thread_id: uuid });

const superstep = z.object({
  updates: z
    .array(
      z.object({
        values: z.unknown().optional(),
        command: jsonObject.nullish(),
        as_node: z.string().min(1),
      }),
    )
    .min(1),
});

export const createThreadBody = z.object({
  thread_id: uuid.optional(),
  metadata: jsonObject.optional(),
  if_exists: ifExists.optional(),
  supersteps: z.array(superstep).optional(),
  ttl: ttl.optional(),
});

export const patchThreadBody = z.object({ metadata: jsonObject.optional(), ttl: ttl.optional() });

const threadFields = [
  "thread_id",
  "created_at",
  "updated_at",
  "state_updated_at",
  "metadata",
  "config",
  "status",
  "values",
  "interrupts",
  "error",
] as const;

export const searchThreadsBody = z.object({
  metadata: jsonObject.optional(),
  values: jsonObject.optional(),
  status: threadStatus.optional(),
  ids: z.array(uuid).max(1000).optional(),
  limit,
  offset,
  sort_by: z.enum(["thread_id", "status", "created_at", "updated_at", "state_updated_at"]).optional(),
  sort_order: sortOrder.optional(),
  select: z.array(z.enum(threadFields)).min(1).optional(),
  /** Alias → path into the thread (`values.messages[-1].content`); answered in each thread's `extracted`. */
  extract: z
    .record(z.string().min(1).max(128), extractPath)
    .refine((e) => Object.keys(e).length <= 20, "at most 20 paths")
    .optional(),
});

export const countThreadsBody = z.object({
  metadata: jsonObject.optional(),
  values: jsonObject.optional(),
  status: threadStatus.optional(),
});

export const stateQuery = z.object({ subgraphs: queryBool.optional(), select: querySelect.optional() });
const select = z.array(z.string().min(1).max(256)).max(100).optional();
export const stateAtParams = z.object({ thread_id: uuid, checkpoint_id: z.string().min(1) });
export const stateAtCheckpointBody = z.object({ checkpoint: checkpointRef, subgraphs: z.boolean().optional(), select });

export const updateStateBody = z.object({
  values: z.unknown(),
  as_node: z.string().min(1).optional(),
  checkpoint: checkpointRef.optional(),
  checkpoint_id: z.string().min(1).optional(),
});

export const historyBody = z.object({
  limit,
  before: z.union([z.string().min(1), checkpointRef]).optional(),
  metadata: jsonObject.optional(),
  checkpoint: checkpointRef.optional(),
  select,
});

export const historyQuery = z.object({
  limit: queryInt(1, 1000).default(10),
  before: z.string().min(1).optional(),
  select: querySelect.optional(),
});

/** `PATCH /threads/{id}/state`: metadata merged into the latest (or the named) checkpoint's. */
export const patchStateBody = z.object({
  metadata: jsonObject,
  checkpoint: checkpointRef.optional(),
  checkpoint_id: z.string().min(1).optional(),
});

/** `POST /threads/prune`: delete threads, or keep each one's latest checkpoint only. */
export const pruneThreadsBody = z.object({
  thread_ids: z.array(uuid).min(1).max(1000),
  strategy: z.enum(["delete", "keep_latest"]).default("delete"),
});

export const threadResponse = z.object({
  thread_id: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  state_updated_at: z.string(),
  metadata: jsonObject,
  config: jsonObject,
  status: threadStatus,
  values: z.unknown(),
  interrupts: jsonObject,
  error: z.unknown(),
});

const checkpointResponse = z.object({
  thread_id: z.string(),
  checkpoint_ns: z.string(),
  checkpoint_id: z.string().nullable(),
  checkpoint_map: jsonObject.nullable(),
});

export const threadStateResponse = z.object({
  values: z.unknown(),
  next: z.array(z.string()),
  tasks: z.array(jsonObject),
  checkpoint: checkpointResponse.nullable(),
  parent_checkpoint: checkpointResponse.nullable(),
  metadata: jsonObject.nullable(),
  created_at: z.string().nullable(),
  interrupts: z.array(jsonObject),
});

export const updateStateResponse = z.object({
  checkpoint: checkpointResponse.nullable(),
  configurable: checkpointResponse.partial(),
});
