import type pg from "pg";
import { createRelayedRunControl, type RunControl } from "../run-control.ts";
import type { PgListener } from "./listener.ts";

export const CONTROL_CHANNEL = "fractal_control";

/**
 * Run signals across processes through PostgreSQL NOTIFY, for deployments without Redis: delivered
 * to this process's listeners at once and to the others' through their LISTEN connection.
 */
export function createPgRunControl(options: {
  pool: pg.Pool;
  listener: PgListener;
  onError?: (error: unknown) => void;
}): RunControl & { close(): void } {
  const { control, receive } = createRelayedRunControl((message) => {
    options.pool
      .query("select pg_notify($1, $2)", [CONTROL_CHANNEL, JSON.stringify(message)])
      .catch((error: unknown) => options.onError?.(error));
  });
  return { ...control, close: options.listener.on(CONTROL_CHANNEL, receive) };
}
