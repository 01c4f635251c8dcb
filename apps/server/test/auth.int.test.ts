import { beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { Client } from "@langchain/langgraph-sdk";
import { SignJWT } from "jose";
import { MODES, type TestServer, useTestServer } from "./harness.ts";

const SECRET = "integration-secret-0123456789abcdef";
const ISSUER = "https://issuer.test";
const AUDIENCE = "fractal-tests";
const CONFIG = resolve(import.meta.dir, "fixtures/auth/langgraph.json");
const JWT_ENV = {
  FRACTAL_AUTH: "jwt",
  FRACTAL_JWT_SECRET: SECRET,
  FRACTAL_JWT_ISSUER: ISSUER,
  FRACTAL_JWT_AUDIENCE: AUDIENCE,
  FRACTAL_CRON_POLL_MS: "60000",
  LOG_LEVEL: "debug",
};

const now = () => Math.floor(Date.now() / 1000);
function token(sub: string, claims: Record<string, unknown> = {}, secret = SECRET): Promise<string> {
  return new SignJWT({ sub, iss: ISSUER, aud: AUDIENCE, exp: now() + 3600, ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(secret));
}

interface Caller {
  name: string;
  headers: Record<string, string>;
  client: Client;
}

function caller(server: TestServer, name: string, jwt?: string): Caller {
  const headers: Record<string, string> = jwt ? { authorization: `Bearer ${jwt}` } : {};
  return { name, headers, client: new Client({ apiUrl: server.url, defaultHeaders: headers }) };
}

async function call(server: TestServer, who: Caller, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { "content-type": "application/json", accept: "application/json", ...who.headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text };
}

for (const mode of MODES) {
  describe(`auth: JWT and the owner policy (${mode})`, () => {
    const current = useTestServer(mode, JWT_ENV, ["--config", CONFIG]);
    let server: TestServer;
    let alice: Caller;
    let bob: Caller;
    let anon: Caller;
    let admin: Caller;
    const a = { assistant: "", thread: "", run: "", cron: "", checkpoint: "", busyThread: "", busyRun: "" };

    beforeAll(async () => {
      server = current();
      alice = caller(server, "alice", await token("alice", { email: "alice@example.com" }));
      bob = caller(server, "bob", await token("bob"));
      admin = caller(server, "admin", await token("root", { permissions: ["admin"] }));
      anon = caller(server, "anonymous");
      const assistant = await alice.client.assistants.create({ graphId: "whoami", name: "alice's" });
      a.assistant = assistant.assistant_id;
      const thread = await alice.client.threads.create({ metadata: { topic: "private" } });
      a.thread = thread.thread_id;
      await alice.client.runs.wait(a.thread, a.assistant, { input: {} });
      a.run = (await alice.client.runs.list(a.thread))[0]?.run_id as string;
      a.checkpoint = (await alice.client.threads.getState(a.thread)).checkpoint.checkpoint_id as string;
      a.cron = (await alice.client.crons.createForThread(a.thread, a.assistant, { schedule: "0 0 1 1 *" })).cron_id;
      await alice.client.store.putItem(["alice", "notes"], "secret", { text: "alice-private-note" });
      await bob.client.threads.create({ metadata: { topic: "bob's" } });
      await bob.client.store.putItem(["bob"], "mine", { text: "bob-note" });
    }, 60_000);

    test("what a user creates is stamped with its owner; system assistants stay visible to all", async () => {
      expect((await alice.client.threads.get(a.thread)).metadata).toMatchObject({ owner: "alice", topic: "private" });
      expect((await alice.client.assistants.get(a.assistant)).metadata).toMatchObject({ owner: "alice" });
      const bobsAssistants = await bob.client.assistants.search({ limit: 100 });
      expect(bobsAssistants.length).toBeGreaterThan(0);
      expect(bobsAssistants.every((x) => x.metadata?.created_by === "system")).toBe(true);
      expect(await bob.client.threads.count()).toBe(1);
      expect(await alice.client.threads.count()).toBe(1);
    });

    test("the isolation matrix: every route, for the owner, another user and an anonymous caller", async () => {
      const t = `/threads/${a.thread}`;
      const r = `${t}/runs/${a.run}`;
      const as = `/assistants/${a.assistant}`;
      const routes: Array<{ method: string; path: string; body?: unknown; owner: number; other: number }> = [
        { method: "GET", path: as, owner: 200, other: 404 },
        { method: "PATCH", path: as, body: { description: "x" }, owner: 200, other: 404 },
        { method: "POST", path: `${as}/versions`, body: {}, owner: 200, other: 404 },
        { method: "POST", path: `${as}/latest`, body: { version: 1 }, owner: 200, other: 404 },
        { method: "GET", path: `${as}/schemas`, owner: 200, other: 404 },
        { method: "GET", path: `${as}/graph`, owner: 200, other: 404 },
        { method: "GET", path: `${as}/subgraphs`, owner: 200, other: 404 },
        { method: "GET", path: t, owner: 200, other: 404 },
        { method: "PATCH", path: t, body: { metadata: { more: 1 } }, owner: 200, other: 404 },
        { method: "GET", path: `${t}/state`, owner: 200, other: 404 },
        { method: "POST", path: `${t}/state/checkpoint`, body: { checkpoint: {} }, owner: 200, other: 404 },
        { method: "GET", path: `${t}/state/${a.checkpoint}`, owner: 200, other: 404 },
        { method: "GET", path: `${t}/history`, owner: 200, other: 404 },
        { method: "POST", path: `${t}/history`, body: {}, owner: 200, other: 404 },
        { method: "POST", path: `${t}/state`, body: { values: {}, as_node: "look" }, owner: 200, other: 404 },
        { method: "GET", path: `${t}/runs`, owner: 200, other: 404 },
        { method: "GET", path: r, owner: 200, other: 404 },
        { method: "GET", path: `${r}/join`, owner: 200, other: 404 },
        { method: "GET", path: `${r}/stream`, owner: 200, other: 404 },
        { method: "POST", path: `${r}/cancel`, owner: 409, other: 404 },
        {
          method: "POST",
          path: `${t}/runs/wait`,
          body: { assistant_id: a.assistant, input: {} },
          owner: 200,
          other: 404,
        },
        { method: "POST", path: `${t}/runs`, body: { assistant_id: "whoami", input: {} }, owner: 200, other: 404 },
        { method: "POST", path: "/runs/wait", body: { assistant_id: a.assistant, input: {} }, owner: 200, other: 404 },
        { method: "POST", path: `${t}/copy`, owner: 200, other: 404 },
        {
          method: "POST",
          path: `${t}/runs/crons`,
          body: { assistant_id: "whoami", schedule: "0 0 1 1 *" },
          owner: 200,
          other: 404,
        },
        { method: "PATCH", path: `/runs/crons/${a.cron}`, body: { schedule: "0 0 2 1 *" }, owner: 200, other: 404 },
        {
          method: "POST",
          path: "/runs/crons",
          body: { assistant_id: a.assistant, schedule: "0 0 1 1 *" },
          owner: 200,
          other: 404,
        },
        { method: "GET", path: "/store/items?namespace=alice.notes&key=secret", owner: 200, other: 403 },
        {
          method: "PUT",
          path: "/store/items",
          body: { namespace: ["alice", "notes"], key: "other", value: { v: 1 } },
          owner: 204,
          other: 403,
        },
        { method: "POST", path: "/store/items/search", body: { namespace_prefix: ["alice"] }, owner: 200, other: 403 },
        { method: "POST", path: "/store/namespaces", body: { prefix: ["alice"] }, owner: 200, other: 403 },
        {
          method: "POST",
          path: "/threads",
          body: { thread_id: a.thread, if_exists: "do_nothing" },
          owner: 200,
          other: 409,
        },
        {
          method: "POST",
          path: "/assistants",
          body: { graph_id: "whoami", assistant_id: a.assistant, if_exists: "do_nothing" },
          owner: 200,
          other: 409,
        },
        {
          method: "POST",
          path: "/runs/batch",
          body: [{ assistant_id: a.assistant, input: {} }],
          owner: 200,
          other: 404,
        },
        {
          method: "POST",
          path: "/runs/stream",
          body: { assistant_id: a.assistant, input: {} },
          owner: 200,
          other: 404,
        },
      ];
      const deletes = [
        {
          method: "DELETE",
          path: "/store/items",
          body: { namespace: ["alice", "notes"], key: "other" },
          owner: 204,
          other: 403,
        },
        { method: "DELETE", path: `/runs/crons/${a.cron}`, owner: 204, other: 404 },
        { method: "DELETE", path: r, owner: 204, other: 404 },
        { method: "DELETE", path: as, owner: 204, other: 404 },
        { method: "DELETE", path: t, owner: 204, other: 404 },
      ];
      const secrets = [a.thread, a.assistant, a.cron, a.run, "alice-private-note"];
      const mismatches: string[] = [];
      const check = async (who: Caller, route: (typeof routes)[number], want: number) => {
        const res = await call(server, who, route.method, route.path, route.body);
        if (res.status !== want)
          mismatches.push(`${who.name} ${route.method} ${route.path}: ${res.status}, want ${want}`);
        if (who !== alice) {
          const leaked = secrets.filter(
            (s) => res.text.includes(s) && !route.path.includes(s) && !JSON.stringify(route.body ?? "").includes(s),
          );
          if (leaked.length > 0)
            mismatches.push(`${who.name} ${route.method} ${route.path} leaked ${leaked.join(", ")}`);
        }
      };
      for (const route of [...routes, ...deletes]) {
        await check(anon, route, 401);
        await check(bob, route, route.other);
      }
      // The thread stream stays open for its owner, so only the refusals are checked here.
      const threadStream = { method: "GET", path: `${t}/stream`, owner: 200, other: 404 };
      await check(anon, threadStream, 401);
      await check(bob, threadStream, 404);
      // Nothing of alice's changed through bob's attempts.
      expect((await alice.client.threads.get(a.thread)).metadata).toEqual({
        owner: "alice",
        topic: "private",
        graph_id: "whoami",
        assistant_id: a.assistant,
      });
      expect((await alice.client.crons.search())[0]?.schedule).toBe("0 0 1 1 *");
      for (const route of routes) await check(alice, route, route.owner);
      for (const route of deletes) await check(alice, route, route.owner);
      expect(mismatches).toEqual([]);
      // Leave alice without the crons the matrix created.
      for (const cron of await alice.client.crons.search({ limit: 100 })) await alice.client.crons.delete(cron.cron_id);
    }, 60_000);

    test("searches and counts never show another user's resources", async () => {
      const thread = await alice.client.threads.create();
      const cron = await alice.client.crons.create("whoami", { schedule: "0 0 1 1 *" });
      const bobSees = JSON.stringify([
        await bob.client.threads.search({ limit: 100 }),
        await bob.client.threads.search({ metadata: { owner: "alice" } }),
        await bob.client.assistants.search({ metadata: { owner: "alice" } }),
        await bob.client.crons.search({}),
        await bob.client.store.searchItems([]),
        await bob.client.store.listNamespaces(),
      ]);
      expect(bobSees).not.toContain(thread.thread_id);
      expect(bobSees).not.toContain(cron.cron_id);
      expect(bobSees).not.toContain("alice");
      expect(await bob.client.threads.count({ metadata: { owner: "alice" } })).toBe(0);
      expect(await bob.client.crons.count()).toBe(0);
      expect(await alice.client.crons.count()).toBe(1);
      expect((await bob.client.store.searchItems([])).items.map((i) => i.key)).toEqual(["mine"]);
      expect((await bob.client.store.listNamespaces()).namespaces).toEqual([["bob"]]);
    });

    test("bulk cancel skips another user's runs; cancelling one's own works", async () => {
      const thread = await alice.client.threads.create();
      const run = await alice.client.runs.create(thread.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 20, delay_ms: 50 } },
      });
      const res = await call(server, bob, "POST", "/runs/cancel", { run_ids: [run.run_id] });
      expect(res.status).toBe(204);
      const res2 = await call(server, bob, "POST", "/runs/cancel", { status: "all" });
      expect(res2.status).toBe(204);
      expect((await alice.client.runs.join(thread.thread_id, run.run_id)) as unknown).toMatchObject({
        steps: expect.any(Array),
      });
      expect((await alice.client.runs.get(thread.thread_id, run.run_id)).status).toBe("success");
      const stateless = await call(server, bob, "GET", `/runs/${run.run_id}/stream`);
      expect(stateless.status).toBe(404);
    });

    test("system assistants: others read them, only an admin changes them", async () => {
      const system = (await bob.client.assistants.search({ graphId: "whoami" })).find(
        (x) => x.metadata?.created_by === "system",
      );
      expect(system).toBeDefined();
      const id = system?.assistant_id as string;
      expect((await call(server, bob, "GET", `/assistants/${id}`)).status).toBe(200);
      expect((await call(server, bob, "PATCH", `/assistants/${id}`, { description: "hijacked" })).status).toBe(403);
      expect((await call(server, bob, "DELETE", `/assistants/${id}`)).status).toBe(403);
      expect((await call(server, admin, "PATCH", `/assistants/${id}`, { description: "by admin" })).status).toBe(200);
      // An owner cannot give its resource away or take someone else's through metadata.
      const mine = await bob.client.threads.create();
      const patched = await bob.client.threads.update(mine.thread_id, { metadata: { owner: "alice" } });
      expect(patched.metadata?.owner).toBe("bob");
    });

    test("a cron runs as its creator, and a payload patch keeps that", async () => {
      const cron = await alice.client.crons.create("whoami", {
        schedule: "0 0 1 1 *",
        input: { first: true },
        config: { configurable: { langgraph_auth_user_id: "forged", topic: "first" } },
      });
      const payloadOf = async () =>
        ((await alice.client.crons.search({ limit: 100 })).find((x) => x.cron_id === cron.cron_id)?.payload ?? {}) as {
          input?: unknown;
          metadata?: unknown;
          thread_metadata?: unknown;
          config?: { configurable?: Record<string, unknown> };
        };
      const created = await payloadOf();
      expect(created.config?.configurable?.langgraph_auth_user_id).toBe("alice");
      expect(created.thread_metadata).toEqual({ owner: "alice" });
      expect(created.metadata).toEqual({ owner: "alice" });
      // A patch of the input alone leaves the stored config as it was.
      await alice.client.crons.update(cron.cron_id, { input: { between: true } });
      expect((await payloadOf()).config?.configurable).toMatchObject({
        langgraph_auth_user_id: "alice",
        topic: "first",
      });
      await alice.client.crons.update(cron.cron_id, {
        input: { second: true },
        config: { configurable: { langgraph_auth_user_id: "forged-again", topic: "x" } },
      });
      const patched = await payloadOf();
      expect(patched.input).toEqual({ second: true });
      expect(patched.config?.configurable).toMatchObject({ langgraph_auth_user_id: "alice", topic: "x" });
      expect(patched.thread_metadata).toEqual({ owner: "alice" });
      expect(patched.metadata).toEqual({ owner: "alice" });
      await alice.client.crons.delete(cron.cron_id);
    });

    test("graphs receive the user in config.configurable, never the token", async () => {
      const thread = await alice.client.threads.create();
      const forged = { configurable: { langgraph_auth_user_id: "root" } };
      const result = (await alice.client.runs.wait(thread.thread_id, "whoami", { input: {}, config: forged })) as {
        user: Record<string, unknown>;
        user_id: string;
        keys: string[];
      };
      expect(result.user_id).toBe("alice");
      expect(result.user).toMatchObject({ identity: "alice", email: "alice@example.com", is_authenticated: true });
      expect(result.keys).toContain("langgraph_auth_permissions");
      expect(JSON.stringify(result)).not.toContain(alice.headers.authorization?.slice(7) as string);
    });

    test("bad tokens are 401 with a clear message; nothing logged reveals them or the secret; failures are counted", async () => {
      const header = Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url");
      const claims = Buffer.from(
        JSON.stringify({ sub: "alice", iss: ISSUER, aud: AUDIENCE, exp: now() + 60 }),
      ).toString("base64url");
      const good = await token("alice");
      const [h, , s] = good.split(".");
      const forgedBody = Buffer.from(
        JSON.stringify({ sub: "root", iss: ISSUER, aud: AUDIENCE, exp: now() + 60 }),
      ).toString("base64url");
      const cases: Array<[string, string]> = [
        [await token("alice", { exp: now() - 600 }), "token expired"],
        [await token("alice", { nbf: now() + 600 }), "token not yet valid"],
        [await token("alice", { iss: "https://elsewhere.test" }), "token issuer is not accepted"],
        [await token("alice", { aud: "other" }), "token audience is not accepted"],
        [`${header}.${claims}.`, "token algorithm is not accepted"],
        [`${h}.${forgedBody}.${s}`, "token signature is invalid"],
        [await token("alice", {}, "a-different-secret-0123456789abcdef"), "token signature is invalid"],
        ["not-a-token", "malformed token"],
      ];
      for (const [jwt, message] of cases) {
        const res = await call(server, caller(server, "bad", jwt), "POST", "/threads/search", {});
        expect([message, res.status]).toEqual([message, 401]);
        expect(JSON.parse(res.text)).toEqual({ error: "unauthorized", message, request_id: expect.any(String) });
      }
      const viaSupabaseHeader = await fetch(`${server.url}/threads/count`, {
        method: "POST",
        headers: { "x-supabase-access-token": good },
      });
      expect(viaSupabaseHeader.status).toBe(200);
      for (const path of ["/ok", "/info", "/openapi.json", "/docs", "/metrics"]) {
        expect([path, (await fetch(`${server.url}${path}`)).status]).toEqual([path, 200]);
      }
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain('fractal_auth_failures_total{reason="token expired"} 1');
      expect(metrics).toContain('fractal_auth_failures_total{reason="token signature is invalid"} 2');
      const logs = server.output();
      expect(logs).toContain("authentication refused");
      expect(logs).not.toContain(SECRET);
      for (const [jwt] of cases) expect(logs).not.toContain(jwt);
      expect(logs).not.toContain(good);
    });
  });
}

const CUSTOM = resolve(import.meta.dir, "fixtures/auth-custom/langgraph.json");

for (const mode of MODES) {
  describe(`auth: custom handlers from langgraph.json (${mode})`, () => {
    const current = useTestServer(mode, { FRACTAL_CRON_POLL_MS: "60000" }, ["--config", CUSTOM]);
    const as = (server: TestServer, key?: string) =>
      new Client({ apiUrl: server.url, defaultHeaders: key ? { "x-api-key": key } : {} });

    test("authenticate: an unknown key is refused with the handler's status and message", async () => {
      const server = current();
      const res = await fetch(`${server.url}/threads/search`, {
        method: "POST",
        headers: { "x-api-key": "nope", accept: "application/json" },
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        error: "unauthorized",
        message: "invalid api key",
        request_id: expect.any(String),
      });
      expect((await fetch(`${server.url}/threads/count`, { method: "POST" })).status).toBe(401);
      const info = (await (await fetch(`${server.url}/info`)).json()) as { auth: string };
      expect(info.auth).toBe("handlers");
    });

    test("on handlers: reject (403), filter (others' threads are 404 and unsearchable), stamp and metadata edits", async () => {
      const server = current();
      const alice = as(server, "key-alice");
      const bob = as(server, "key-bob");
      const reader = as(server, "key-reader");
      const thread = await alice.threads.create({ metadata: { topic: "plans" } });
      // The filter's equality is stamped, and the handler's own metadata edit is kept.
      expect(thread.metadata).toEqual({ topic: "plans", team: "red", owner: "alice" });
      const refused = await fetch(`${server.url}/threads`, {
        method: "POST",
        headers: { "x-api-key": "key-reader", accept: "application/json" },
        body: "{}",
      });
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { message: string }).message).toBe("not allowed: threads:create");
      for (const client of [bob, reader]) {
        const get = await fetch(`${server.url}/threads/${thread.thread_id}`, {
          headers: { "x-api-key": client === bob ? "key-bob" : "key-reader" },
        });
        expect(get.status).toBe(404);
        expect(JSON.stringify(await client.threads.search({ limit: 100 }))).not.toContain(thread.thread_id);
        expect(await client.threads.count()).toBe(0);
      }
      expect((await alice.threads.search()).map((t) => t.thread_id)).toEqual([thread.thread_id]);
      // A run on the thread is allowed for its owner, refused (404) for another.
      expect(((await alice.runs.wait(thread.thread_id, "whoami", { input: {} })) as { user_id: string }).user_id).toBe(
        "alice",
      );
      const bobRun = await fetch(`${server.url}/threads/${thread.thread_id}/runs/wait`, {
        method: "POST",
        headers: { "x-api-key": "key-bob" },
        body: JSON.stringify({ assistant_id: "whoami", input: {} }),
      });
      expect(bobRun.status).toBe(404);
      // Resources without a handler (assistants) are open to every authenticated caller.
      expect((await reader.assistants.search({ graphId: "whoami" })).length).toBe(1);
    });

    test("a store handler rewriting the namespace gives each user their own space", async () => {
      const server = current();
      const alice = as(server, "key-alice");
      const bob = as(server, "key-bob");
      await alice.store.putItem(["notes"], "n1", { text: "alice's" });
      await bob.store.putItem(["notes"], "n1", { text: "bob's" });
      expect((await alice.store.getItem(["notes"], "n1"))?.value).toEqual({ text: "alice's" });
      expect((await bob.store.getItem(["notes"], "n1"))?.value).toEqual({ text: "bob's" });
      expect((await alice.store.getItem(["notes"], "n1"))?.namespace).toEqual(["alice", "notes"]);
      expect((await bob.store.searchItems([])).items.map((i) => i.value)).toEqual([{ text: "bob's" }]);
      await bob.store.deleteItem(["notes"], "n1");
      expect((await alice.store.getItem(["notes"], "n1"))?.value).toEqual({ text: "alice's" });
    });
  });
}
