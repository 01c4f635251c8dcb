import { type BaseMessage, isBaseMessageChunk } from "@langchain/core/messages";
import { toApiValue } from "../serialize.ts";

type Emit = (event: string, data: unknown) => void;

/**
 * The legacy `messages` stream mode: `messages/metadata` once per message, `messages/partial` with
 * the message accumulated so far for each chunk, `messages/complete` when it is whole.
 */
export function createLegacyMessageStream(emit: Emit) {
  const partial = new Map<string, BaseMessage>();
  const complete = new Set<string>();
  return {
    push(message: BaseMessage, metadata: unknown, suffix: string) {
      const id = message.id ?? `msg-${partial.size + complete.size}`;
      if (!partial.has(id) && !complete.has(id)) emit(`messages/metadata${suffix}`, { [id]: { metadata } });
      if (isBaseMessageChunk(message)) {
        const previous = partial.get(id);
        const merged = previous && isBaseMessageChunk(previous) ? previous.concat(message) : message;
        partial.set(id, merged);
        emit(`messages/partial${suffix}`, [toApiValue(merged)]);
      } else {
        partial.delete(id);
        complete.add(id);
        emit(`messages/complete${suffix}`, [toApiValue(message)]);
      }
    },
    /** Completes messages that only ever arrived as chunks. */
    flush(suffix = "") {
      for (const [id, message] of partial) {
        complete.add(id);
        emit(`messages/complete${suffix}`, [toApiValue(message)]);
      }
      partial.clear();
    },
  };
}
