import { describe, expect, test } from "bun:test";
import { AppError } from "../errors.ts";
import { rejection } from "../storage/testing/rejection.ts";
import { canSee, fromHandlerFilters, jsonContains } from "./access.ts";
import { createHandlerPolicy } from "./handler-policy.ts";
import { createOwnerPolicy } from "./owner-policy.ts";
import { toAuthUser } from "./user.ts";

const alice = toAuthUser("alice");
const admin = toAuthUser({ identity: "root", permissions: ["admin"] });

describe("access patterns", () => {
  test("jsonContains follows jsonb @>", () => {
    expect(jsonContains({ owner: "a", x: 1 }, { owner: "a" })).toBe(true);
    expect(jsonContains({ owner: "b" }, { owner: "a" })).toBe(false);
    expect(jsonContains({ tags: ["x", "y"] }, { tags: ["y"] })).toBe(true);
    expect(jsonContains({ tags: ["x"] }, { tags: ["y"] })).toBe(false);
    expect(jsonContains({ a: { b: 1, c: 2 } }, { a: { b: 1 } })).toBe(true);
    expect(jsonContains({}, { owner: "a" })).toBe(false);
    expect(canSee({ owner: "a" }, undefined)).toBe(true);
    expect(canSee({ owner: "a" }, [])).toBe(false);
    expect(canSee({ created_by: "system" }, [{ owner: "a" }, { created_by: "system" }])).toBe(true);
  });

  test("LangGraph handler filters become a pattern and a stamp", () => {
    expect(fromHandlerFilters({ owner: "u", team: { $eq: "t" }, tags: { $contains: "x" } })).toEqual({
      pattern: { owner: "u", team: "t", tags: ["x"] },
      stamp: { owner: "u", team: "t", tags: ["x"] },
    });
  });
});

describe("owner policy", () => {
  const policy = createOwnerPolicy();
  test("creates are stamped with the owner; everything else is restricted to it", async () => {
    expect(await policy.authorize(alice, "threads:create", {})).toMatchObject({ stamp: { owner: "alice" } });
    expect((await policy.authorize(alice, "threads:search", {})).access).toEqual([{ owner: "alice" }]);
    expect((await policy.authorize(alice, "crons:delete", {})).access).toEqual([{ owner: "alice" }]);
    expect(await policy.authorize(alice, "threads:create_run", {})).toMatchObject({
      access: [{ owner: "alice" }],
      stamp: { owner: "alice" },
    });
  });

  test("system assistants: everyone reads them, only admins change them", async () => {
    const read = await policy.authorize(alice, "assistants:read", {});
    expect(canSee({ created_by: "system" }, read.access)).toBe(true);
    expect(canSee({ owner: "bob" }, read.access)).toBe(false);
    const update = await policy.authorize(alice, "assistants:update", {});
    expect(canSee({ created_by: "system" }, update.access)).toBe(false);
    const adminUpdate = await policy.authorize(admin, "assistants:update", {});
    expect(canSee({ created_by: "system" }, adminUpdate.access)).toBe(true);
  });

  test("store namespaces start with the identity; a search without prefix is narrowed to it", async () => {
    expect((await policy.authorize(alice, "store:put", { namespace: ["alice", "notes"] })).value).toEqual({
      namespace: ["alice", "notes"],
    });
    expect((await policy.authorize(alice, "store:search", { namespace: [] as string[] })).value).toEqual({
      namespace: ["alice"],
    });
    const refused = await rejection(policy.authorize(alice, "store:get", { namespace: ["bob"], key: "k" }));
    expect((refused as unknown as AppError).status).toBe(403);
    expect(await rejection(policy.authorize(alice, "store:list_namespaces", { namespace: ["bob"] }))).toBeInstanceOf(
      AppError,
    );
  });
});

describe("handler policy", () => {
  test("the most specific handler answers; false is 403; filters restrict and stamp; no handler allows", async () => {
    const seen: string[] = [];
    const policy = createHandlerPolicy({
      "*": () => {
        seen.push("*");
        return false;
      },
      threads: ({ user }) => {
        seen.push("threads");
        return { owner: user.identity };
      },
      "threads:create": ({ value, user }) => {
        seen.push("threads:create");
        (value as { metadata: Record<string, unknown> }).metadata.made_by = user.identity;
      },
      "*:search": () => {
        seen.push("*:search");
        return true;
      },
      "store:get": () => {
        const error = new Error("teapot") as Error & { status: number };
        error.status = 418;
        throw error;
      },
    });
    const created = await policy.authorize(alice, "threads:create", { metadata: {} });
    expect(created).toEqual({ value: { metadata: { made_by: "alice" } }, access: undefined, stamp: {} });
    expect((await policy.authorize(alice, "threads:read", {})).access).toEqual([{ owner: "alice" }]);
    expect((await policy.authorize(alice, "crons:search", {})).access).toBeUndefined();
    const refused = await rejection(policy.authorize(alice, "crons:read", {}));
    expect((refused as unknown as AppError).status).toBe(403);
    expect(seen).toEqual(["threads:create", "threads", "*:search", "*"]);
    expect(((await rejection(policy.authorize(alice, "store:get", {}))) as unknown as AppError).message).toBe("teapot");
    const open = createHandlerPolicy({});
    expect(await open.authorize(alice, "store:put", { namespace: ["x"] })).toMatchObject({ access: undefined });
  });
});
