import Redis from "ioredis";
import { reconnectDelayMs } from "../reconnect.ts";

/** The URL as it may be shown: without its password (`redis://user:***@host:6379/0`). */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparseable REDIS_URL>";
  }
}

/** Redis could not be reached at start-up; the message names the URL without its password. */
export class RedisUnavailableError extends Error {
  readonly code = "FRACTAL_REDIS_UNAVAILABLE";
  constructor(url: string, cause: unknown) {
    super(`cannot reach Redis at ${redactRedisUrl(url)}: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = "RedisUnavailableError";
  }
}

export interface RedisConnections {
  /** Commands: stream writes and reads, publishes. */
  commands: Redis;
  /** Subscriptions only (a subscribed connection can run no other command). */
  subscriber: Redis;
  /** `ready` while both connections are up; `degraded` while either reconnects. */
  health(): "ready" | "degraded";
  close(): Promise<void>;
}

export interface ConnectRedisOptions {
  /** How long start-up waits for Redis before failing (default 5 s). */
  connectTimeoutMs?: number;
  /** Names the connections in `CLIENT LIST` (`<name>-commands`, `<name>-subscriber`; default `fractal`). */
  clientName?: string;
  /** Told when a connection is lost and when it is back. */
  onState?: (state: "lost" | "ready", error?: unknown) => void;
}

/**
 * Opens the two connections a process needs and waits until both answer. Once running, a lost
 * connection reconnects by itself with backoff (50 ms doubling to 5 s), and subscriptions are
 * renewed; commands issued meanwhile wait in ioredis' offline queue.
 */
export async function connectRedis(url: string, options: ConnectRedisOptions = {}): Promise<RedisConnections> {
  const open = (name: string) =>
    new Redis(url, {
      connectionName: `${options.clientName ?? "fractal"}-${name}`,
      lazyConnect: true,
      // Commands wait for a reconnection rather than failing after a count of retries.
      maxRetriesPerRequest: null,
      retryStrategy: reconnectDelayMs,
    });
  const commands = open("commands");
  const subscriber = open("subscriber");
  const connections = [commands, subscriber];
  // Errors are reported through onState; without a listener ioredis would print each one.
  for (const c of connections) c.on("error", () => {});
  const timeoutMs = options.connectTimeoutMs ?? 5_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([Promise.all(connections.map((c) => c.connect())).then(() => commands.ping()), timeout]);
  } catch (error) {
    for (const c of connections) c.disconnect();
    throw new RedisUnavailableError(url, error);
  } finally {
    clearTimeout(timer);
  }
  let lost = false;
  const report = () => {
    const down = connections.some((c) => c.status !== "ready");
    if (down !== lost) {
      lost = down;
      options.onState?.(down ? "lost" : "ready");
    }
  };
  for (const c of connections) {
    c.on("close", report);
    c.on("ready", report);
  }
  return {
    commands,
    subscriber,
    health: () => (connections.every((c) => c.status === "ready") ? "ready" : "degraded"),
    async close() {
      for (const c of connections) c.removeAllListeners("close");
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
