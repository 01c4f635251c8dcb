import { MAX_NAMESPACE_DEPTH } from "@fractal/infra/storage/store";
import { z } from "zod";
import { jsonObject, MAX_TTL_MINUTES, offset, queryBool } from "./common.ts";

/** Keys and labels are index columns: past a few kB PostgreSQL refuses the row. */
const MAX_KEY_LENGTH = 1024;
const label = z
  .string()
  .min(1, "namespace labels may not be empty")
  .max(MAX_KEY_LENGTH)
  .refine((l) => !l.includes("."), "namespace labels may not contain a period ('.')");
const namespace = z.array(label).min(1).max(MAX_NAMESPACE_DEPTH);
const prefix = z.array(label).max(MAX_NAMESPACE_DEPTH);
/** Minutes; null or absent: never expires. */
const ttl = z.number().positive().max(MAX_TTL_MINUTES).nullish();

export const putItemBody = z.object({
  namespace,
  key: z.string().min(1).max(MAX_KEY_LENGTH),
  value: jsonObject,
  index: z.union([z.literal(false), z.array(z.string())]).nullish(),
  ttl,
});
export const itemKeyBody = z.object({ namespace, key: z.string().min(1).max(MAX_KEY_LENGTH) });
export const getItemQuery = z.object({
  namespace: z
    .string()
    .min(1)
    .max(MAX_KEY_LENGTH * MAX_NAMESPACE_DEPTH),
  key: z.string().min(1).max(MAX_KEY_LENGTH),
  refresh_ttl: queryBool.optional(),
});
export const searchItemsBody = z.object({
  namespace_prefix: prefix.default([]),
  filter: jsonObject.nullish(),
  limit: z.number().int().min(1).max(1000).default(10),
  offset,
  query: z.string().nullish(),
  refresh_ttl: z.boolean().nullish(),
});
export const listNamespacesBody = z.object({
  prefix: prefix.nullish(),
  suffix: prefix.nullish(),
  max_depth: z.number().int().min(1).max(MAX_NAMESPACE_DEPTH).nullish(),
  limit: z.number().int().min(1).max(1000).default(100),
  offset,
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
