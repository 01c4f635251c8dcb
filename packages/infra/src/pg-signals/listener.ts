import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { reconnectDelayMs } from "../reconnect.ts";

export type NotificationListener = (payload: string) => void;

/**
 * One LISTEN connection per process, shared by the run event log and run control over PostgreSQL.
 * A lost connection reconnects with backoff (50 ms doubling to 5 s) and listens again; its
 * `onReconnect` listeners then catch up, since notifications sent meanwhile are lost.
 */
export interface PgListener {
  on(channel: string, listener: NotificationListener): () => void;
  onReconnect(listener: () => void): () => void;
  close(): Promise<void>;
}

export async function createPgListener(
  url: string,
  channels: string[],
  onState?: (state: "lost" | "ready", error?: unknown) => void,
): Promise<PgListener> {
  const listeners = new Map<string, Set<NotificationListener>>();
  const reconnectListeners = new Set<() => void>();
  let client: pg.Client | undefined;
  let closed = false;

  const connect = async () => {
    const next = new pg.Client({ connectionString: url });
    next.on("notification", (message) => {
      for (const l of listeners.get(message.channel) ?? []) l(message.payload ?? "");
    });
    next.on("error", () => {});
    next.on("end", () => {
      if (closed || client !== next) return;
      client = undefined;
      onState?.("lost");
      void reconnect();
    });
    await next.connect();
    for (const channel of channels) await next.query(`listen ${pg.escapeIdentifier(channel)}`);
    client = next;
  };

  const reconnect = async () => {
    for (let attempt = 0; !closed; attempt++) {
      await sleep(reconnectDelayMs(attempt));
      try {
        await connect();
        onState?.("ready");
        for (const l of reconnectListeners) l();
        return;
      } catch (error) {
        if (attempt === 0) onState?.("lost", error);
      }
    }
  };

  await connect();
  return {
    on(channel, listener) {
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
      }
      set.add(listener);
      return () => {
        set?.delete(listener);
        if (set?.size === 0) listeners.delete(channel);
      };
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    async close() {
      closed = true;
      await client?.end().catch(() => {});
    },
  };
}
