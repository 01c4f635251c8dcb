import { type OpenApiRegistry, routesOn } from "@fractal/infra/hono/openapi";
import type { Item } from "@langchain/langgraph";
import type { Hono } from "hono";
import { decide } from "../access.ts";
import type { AppEnv } from "../env.ts";
import {
  getItemQuery,
  itemKeyBody,
  itemResponse,
  listNamespacesBody,
  namespacesResponse,
  putItemBody,
  searchItemsBody,
  searchItemsResponse,
} from "../schemas/store.ts";

const tags = ["store"];

/** An item as the API returns it (snake_case timestamps, as the SDK reads them). */
function toApiItem(item: Item & { score?: number }) {
  return {
    namespace: item.namespace,
    key: item.key,
    value: item.value,
    created_at: item.createdAt.toISOString(),
    updated_at: item.updatedAt.toISOString(),
    ...(item.score !== undefined ? { score: item.score } : {}),
  };
}

export function registerStoreRoutes(app: Hono<AppEnv>, api: OpenApiRegistry): void {
  const route = routesOn(app, api, tags);
  route("put /store/items", "Store an item (replacing any at that namespace and key); ttl in minutes")(
    { body: putItemBody, responses: { 204: null } },
    async (c, { body }) => {
      const { value } = await decide(c, "store:put", { namespace: body.namespace, key: body.key, value: body.value });
      await c.var.deps.storage.store.putItem(value.namespace, value.key, value.value, body.ttl, body.index);
      return c.body(null, 204);
    },
  );

  route("get /store/items", "Get an item (null when there is none or it expired); refresh_ttl restarts its TTL")(
    { query: getItemQuery, responses: { 200: itemResponse.nullable() } },
    async (c, { query }) => {
      const { value } = await decide(c, "store:get", { namespace: query.namespace.split("."), key: query.key });
      const item = await c.var.deps.storage.store.getItem(value.namespace, value.key, query.refresh_ttl ?? false);
      return c.json(item ? toApiItem(item) : null);
    },
  );

  route("delete /store/items", "Delete an item")(
    { body: itemKeyBody, responses: { 204: null } },
    async (c, { body }) => {
      const { value } = await decide(c, "store:delete", { namespace: body.namespace, key: body.key });
      await c.var.deps.storage.store.deleteItem(value.namespace, value.key);
      return c.body(null, 204);
    },
  );

  route("post /store/items/search", "Search items under a namespace prefix, filtered by value fields, newest first")(
    { body: searchItemsBody, bodyOptional: true, responses: { 200: searchItemsResponse } },
    async (c, { body: { namespace_prefix, filter, query, refresh_ttl, ...page } }) => {
      const { value } = await decide(c, "store:search", {
        namespace: namespace_prefix,
        filter: filter ?? undefined,
        query: query ?? undefined,
        ...page,
      });
      const { namespace, ...search } = value;
      const items = await c.var.deps.storage.store.searchItems({
        ...search,
        namespacePrefix: namespace,
        refreshTtl: refresh_ttl ?? false,
      });
      return c.json({ items: items.map(toApiItem) });
    },
  );

  route("post /store/namespaces", "List namespaces that hold items, by prefix and suffix, cut at max_depth")(
    { body: listNamespacesBody, bodyOptional: true, responses: { 200: namespacesResponse } },
    async (c, { body: { prefix, suffix, max_depth, ...page } }) => {
      const { value } = await decide(c, "store:list_namespaces", {
        namespace: prefix ?? undefined,
        suffix: suffix ?? undefined,
        max_depth: max_depth ?? undefined,
        ...page,
      });
      const { namespace, max_depth: maxDepth, ...list } = value;
      const namespaces = await c.var.deps.storage.store.listNamespaceItems({ ...list, prefix: namespace, maxDepth });
      return c.json({ namespaces });
    },
  );
}
