import type Redis from "ioredis";
import { type CreatedRunSignal, createLocalRunControl, type RunControl } from "../run-control.ts";
import type { CancelAction } from "../storage/runs.ts";
import type { Subscriptions } from "./subscriptions.ts";

type Message =
  | { from: string; kind: "created"; run: CreatedRunSignal }
  | { from: string; kind: "cancel"; runId: string; action: CancelAction }
  | { from: string; kind: "state"; threadId: string };

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
  const local = createLocalRunControl();
  const channel = `${options.keyPrefix ?? "fractal"}:control`;
  const self = crypto.randomUUID();
  let unsubscribe: (() => void) | undefined;
  let closed = false;
  const publish = (message: Message) => {
    options.redis.publish(channel, JSON.stringify(message)).catch((error: unknown) => options.onError?.(error));
  };
  const ready = options.subscriptions
    .subscribe(channel, (raw) => {
      const message = JSON.parse(raw) as Message;
      if (message.from === self) return;
      if (message.kind === "created") local.created(message.run);
      else if (message.kind === "cancel") local.cancel(message.runId, message.action);
      else local.stateUpdated(message.threadId);
    })
    .then((off) => {
      if (closed) off();
      else unsubscribe = off;
    });
  return {
    ...local,
    created(run) {
      local.created(run);
      publish({ from: self, kind: "created", run });
    },
    cancel(runId, action) {
      local.cancel(runId, action);
      publish({ from: self, kind: "cancel", runId, action });
    },
    stateUpdated(threadId) {
      local.stateUpdated(threadId);
      publish({ from: self, kind: "state", threadId });
    },
    ready,
    close() {
      closed = true;
      unsubscribe?.();
    },
  };
}
