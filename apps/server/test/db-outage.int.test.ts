// PostgreSQL going away under a running server: requests answer 503 with Retry-After (not 500),
// /ok?check_db=1 says so, the log says it once, and everything works again when it is back. The
// outage is a TCP proxy on loopback between the server and the test database, cut and restored.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, requireTestPostgresUrl } from "@fractal/infra/storage/testing/postgres";
import type { Socket, TCPSocketListener } from "bun";
import { type ServerProcess, spawnServer } from "./harness.ts";

interface Proxy {
  port: number;
  /** Drops every connection and refuses new ones. */
  cut(): void;
  restore(): void;
  stop(): void;
}

function startProxy(upstream: { hostname: string; port: number }, port = 0): Proxy {
  type Pair = { upstream?: Socket<Pair>; pending: Uint8Array[]; client?: Socket<Pair> };
  const open = new Set<Socket<Pair>>();
  let listener: TCPSocketListener<Pair> | undefined;
  const listen = (at: number) =>
    Bun.listen<Pair>({
      hostname: "127.0.0.1",
      port: at,
      socket: {
        open(client) {
          client.data = { pending: [], client };
          open.add(client);
          void Bun.connect<Pair>({
            ...upstream,
            socket: {
              open(server) {
                server.data = client.data;
                client.data.upstream = server;
                open.add(server);
                for (const chunk of client.data.pending) server.write(chunk);
                client.data.pending = [];
              },
              data(server, chunk) {
                server.data.client?.write(chunk);
              },
              close(server) {
                open.delete(server);
                server.data.client?.end();
              },
              error(server) {
                server.data.client?.end();
              },
            },
          }).catch(() => client.end());
        },
        data(client, chunk) {
          if (client.data.upstream) client.data.upstream.write(chunk);
          else client.data.pending.push(new Uint8Array(chunk));
        },
        close(client) {
          open.delete(client);
          client.data.upstream?.end();
        },
      },
    });
  listener = listen(port);
  const bound = listener.port;
  return {
    port: bound,
    cut() {
      listener?.stop(true);
      listener = undefined;
      for (const socket of open) socket.terminate();
      open.clear();
    },
    restore() {
      listener ??= listen(bound);
    },
    stop() {
      this.cut();
    },
  };
}

describe("PostgreSQL outage under a running server (postgres)", () => {
  let proxy: Proxy;
  let server: ServerProcess;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const database = await createTestDatabase(requireTestPostgresUrl());
    drop = database.drop;
    const url = new URL(database.url);
    proxy = startProxy({ hostname: url.hostname, port: Number(url.port || 5432) });
    url.hostname = "127.0.0.1";
    url.port = String(proxy.port);
    server = await spawnServer({ env: { DATABASE_URL: url.toString(), LOG_LEVEL: "info" } });
  }, 60_000);
  afterAll(async () => {
    server?.proc.kill("SIGTERM");
    await server?.proc.exited;
    proxy?.stop();
    await drop?.();
  });

  test("503 with Retry-After during the outage, logged once; /ok?check_db=1 reports it; then it recovers", async () => {
    const call = () => fetch(`${server.url}/threads/search`, { method: "POST", body: "{}" });
    expect((await call()).status).toBe(200);
    expect(await (await fetch(`${server.url}/ok?check_db=1`)).json()).toEqual({ ok: true, db: "ok" });

    proxy.cut();
    const during = [];
    for (let i = 0; i < 5; i++) during.push(await call());
    expect(during.map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);
    expect(during[0]?.headers.get("retry-after")).toBe("5");
    expect(await during[1]?.text()).toBe(
      `the database is unavailable; retry shortly (request_id: ${during[1]?.headers.get("x-request-id")})`,
    );
    const check = await fetch(`${server.url}/ok?check_db=1`);
    expect(check.status).toBe(503);
    expect(await check.json()).toEqual({ ok: false, db: "unavailable", request_id: check.headers.get("x-request-id") });
    expect((await fetch(`${server.url}/ok`)).status).toBe(200);
    // Prune skips unknown threads, but an unreachable database is no unknown thread.
    const prune = await fetch(`${server.url}/threads/prune`, {
      method: "POST",
      body: JSON.stringify({ thread_ids: [crypto.randomUUID()] }),
    });
    expect(prune.status).toBe(503);
    expect(server.output().match(/database unavailable/g)?.length).toBe(1);

    proxy.restore();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await call()).status;
      if (status !== 200) await Bun.sleep(100);
    }
    expect(status).toBe(200);
    const thread = await fetch(`${server.url}/threads`, { method: "POST", body: "{}" });
    expect(thread.status).toBe(200);
    expect(await (await fetch(`${server.url}/ok?check_db=1`)).json()).toEqual({ ok: true, db: "ok" });
  }, 60_000);
});
