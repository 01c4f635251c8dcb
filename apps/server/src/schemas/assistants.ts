import { z } from "zod";
import {
  assistantRef,
  ifExists,
  jsonObject,
  limit,
  MAX_INT32,
  offset,
  queryBool,
  queryInt,
  recursionLimit,
  sortOrder,
  uuid,
} from "./common.ts";

const config = z
  .object({
    tags: z.array(z.string()).optional(),
    recursion_limit: recursionLimit.optional(),
    configurable: jsonObject.optional(),
  })
  .loose();

export const assistantIdParams = z.object({ assistant_id: assistantRef });

export const createAssistantBody = z.object({
  assistant_id: uuid.optional(),
  graph_id: z.string().min(1),
  config: config.optional(),
  context: jsonObject.optional(),
  metadata: jsonObject.optional(),
  if_exists: ifExists.optional(),
  name: z.string().min(1).max(1000).optional(),
  description: z.string().max(10_000).nullish(),
});

export const patchAssistantBody = z.object({
  graph_id: z.string().min(1).optional(),
  config: config.optional(),
  context: jsonObject.optional(),
  metadata: jsonObject.optional(),
  name: z.string().min(1).max(1000).optional(),
  description: z.string().max(10_000).nullish(),
});

const assistantFields = [
  "assistant_id",
  "graph_id",
  "name",
  "description",
  "config",
  "context",
  "created_at",
  "updated_at",
  "metadata",
  "version",
] as const;

export const searchAssistantsBody = z.object({
  graph_id: z.string().optional(),
  name: z.string().optional(),
  metadata: jsonObject.optional(),
  limit,
  offset,
  sort_by: z.enum(["assistant_id", "graph_id", "name", "created_at", "updated_at"]).optional(),
  sort_order: sortOrder.optional(),
  select: z.array(z.enum(assistantFields)).min(1).optional(),
});

export const countAssistantsBody = z.object({
  graph_id: z.string().optional(),
  name: z.string().optional(),
  metadata: jsonObject.optional(),
});

export const versionsBody = z.object({ metadata: jsonObject.optional(), limit, offset });
export const setLatestBody = z.object({ version: z.number().int().min(1).max(MAX_INT32) });
export const deleteAssistantQuery = z.object({ delete_threads: queryBool.optional() });
export const graphQuery = z.object({ xray: z.union([queryBool, queryInt(0, 100)]).optional() });
export const subgraphsParams = z.object({ assistant_id: assistantRef, namespace: z.string().min(1).optional() });
export const subgraphsQuery = z.object({ recurse: queryBool.optional() });

export const assistantResponse = z.object({
  assistant_id: z.string(),
  graph_id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  config: jsonObject,
  context: jsonObject,
  metadata: jsonObject,
  version: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const schemasResponse = z.object({
  graph_id: z.string(),
  input_schema: jsonObject.nullable(),
  output_schema: jsonObject.nullable(),
  state_schema: jsonObject.nullable(),
  config_schema: jsonObject.nullable(),
  context_schema: jsonObject.nullable(),
});
