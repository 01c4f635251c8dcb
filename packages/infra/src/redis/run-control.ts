import type Redis from "ioredis";
import { createRelayedRunControl, type RunControl } from "../run-control.ts";
import type { Subscriptions } from "./subscriptions.ts";

export interface RedisRunControlOptions {
  redis: Redis;
  subscriptions: Subscriptions;
  keyPrefix?: string;
  onError?: (error: unknown) => void;
}

export interface RedisRunControl extends RunControl {
  /** Resolves once the control channel is subscribed; `close` unsubscribes. */
  ready: Promise<void>;
  close(): void;
}

/**
 * Run signals across processes: each is delivered to this process's listeners at once and
 * published on one channel, so a created run wakes idle workers everywhere without a poll, and a
 * cancel sent to any replica reaches the worker running the run. A process ignores its own messages.
 */
export function createRedisRunControl(options: RedisRunControlOptions): RedisRunControl {
  const channel = `${options.keyPrefix ?? "fractal"}:control`;
  const { control, receive } = createRelayedRunControl((message) => {
    options.redis.publish(channel, JSON.stringify(message)).catch((error: unknown) => options.onError?.(error));
  });
  let unsubscribe: (() => void) | undefined;
  let closed = false;
  const ready = options.subscriptions.subscribe(channel, receive).then((off) => {
    if (closed) off();
    else unsubscribe = off;
  });
  return {
    ...control,
    ready,
    close() {
      closed = true;
      unsubscribe?.();
    },
  };
}
