import type Redis from "ioredis";

export type MessageListener = (message: string) => void;

/**
 * Channel subscriptions shared by everything in one process, over its one subscriber connection:
 * a channel is subscribed while at least one listener wants it. `onReconnect` listeners hear when
 * the connection is back (messages published meanwhile are lost, so readers catch up from streams).
 */
export interface Subscriptions {
  /** Resolves once Redis confirms the subscription; the returned function removes the listener. */
  subscribe(channel: string, listener: MessageListener): Promise<() => void>;
  onReconnect(listener: () => void): () => void;
  channels(): number;
}

export function createSubscriptions(subscriber: Redis): Subscriptions {
  const listeners = new Map<string, Set<MessageListener>>();
  /** Each channel's SUBSCRIBE, so a second listener also waits for Redis to confirm it. */
  const confirmed = new Map<string, Promise<unknown>>();
  const reconnectListeners = new Set<() => void>();
  let connectedOnce = false;
  subscriber.on("message", (channel: string, message: string) => {
    for (const l of listeners.get(channel) ?? []) l(message);
  });
  subscriber.on("ready", () => {
    if (connectedOnce) for (const l of reconnectListeners) l();
    connectedOnce = true;
  });
  if (subscriber.status === "ready") connectedOnce = true;

  return {
    async subscribe(channel, listener) {
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
      }
      set.add(listener);
      let subscribed = confirmed.get(channel);
      if (!subscribed) {
        subscribed = subscriber.subscribe(channel);
        confirmed.set(channel, subscribed);
      }
      await subscribed;
      return () => {
        const current = listeners.get(channel);
        if (!current?.delete(listener) || current.size > 0) return;
        listeners.delete(channel);
        confirmed.delete(channel);
        void subscriber.unsubscribe(channel).catch(() => {});
      };
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    channels: () => listeners.size,
  };
}
