import { MAX_NAMESPACE_DEPTH } from "@fractal/infra/storage/store";
import { z } from "zod";
import { jsonObject, queryBool } from "./common.ts";

const label = z
  .string()
  .min(1, "namespace labels may not be empty")
  .refine((l) => !l.includes("."), "namespace labels may not contain a period ('.')");
const namespace = z.array(label).min(1).max(MAX_NAMESPACE_DEPTH);
const prefix = z.array(label).max(MAX_NAMESPACE_DEPTH);
/** Minutes; null or absent: never expires. */
const ttl = z.number().positive().nullish();

export const putItemBody = z.object({
  namespace,
  key: z.string().min(1),
  value: jsonObject,
  index: z.union([z.literal(false), z.array(z.string())]).nullish(),
  ttl,
});
export const itemKeyBody = z.object({ namespace, key: z.string().min(1) });
export const getItemQuery = z.object({
  namespace: z.string().min(1),
  key: z.string().min(1),
  refresh_ttl: queryBool.optional(),
});
export const searchItemsBody = z.object({
  namespace_prefix: prefix.default([]),
  filter: jsonObject.nullish(),
  limit: z.number().int().min(1).max(1000).default(10),
  offset: z.number().int().min(0).default(0),
  query: z.string().nullish(),
  refresh_ttl: z.boolean().nullish(),
});
export const listNamespacesBody = z.object({
  prefix: prefix.nullish(),
  suffix: prefix.nullish(),
  max_depth: z.number().int().min(1).max(MAX_NAMESPACE_DEPTH).nullish(),
  limit: z.number().int().min(1).max(1000).default(100),
  offset: z.number().int().min(0).default(0),
});

export const itemResponse = z.object({
  namespace: z.array(z.string()),
  key: z.string(),
  value: jsonObject,
  created_at: z.string(),
  updated_at: z.string(),
});
export const searchItemsResponse = z.object({
  items: z.array(itemResponse.extend({ score: z.number().nullish() })),
});
export const namespacesResponse = z.object({ namespaces: z.array(z.array(z.string())) });
