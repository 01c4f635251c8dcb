import { isBaseMessage, isBaseMessageChunk } from "@langchain/core/messages";

// Streamed chunks keep their chunk type name, as Platform clients expect ("AIMessageChunk").
const CHUNK_TYPES: Record<string, string> = {
  ai: "AIMessageChunk",
  human: "HumanMessageChunk",
  tool: "ToolMessageChunk",
  system: "SystemMessageChunk",
  generic: "ChatMessageChunk",
};

/**
 * Converts graph values to the JSON the API returns: LangChain messages become plain
 * `{type, content, id, …}` objects (as the Platform returns them), everything else passes through.
 */
export function toApiValue(value: unknown): unknown {
  if (isBaseMessage(value)) {
    const { data } = value.toDict();
    const type = value.getType();
    return { ...data, type: isBaseMessageChunk(value) ? (CHUNK_TYPES[type] ?? type) : type };
  }
  if (Array.isArray(value)) return value.map(toApiValue);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toApiValue(v)]));
  }
  if (value && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return value;
  }
  return value;
}

/** Removes runtime-only fields (callbacks, signals) from configs inside stream payloads; cycles become null. */
export function stripRuntime(value: unknown, seen = new WeakSet<object>()): unknown {
  if (Array.isArray(value)) {
    if (seen.has(value)) return null;
    seen.add(value);
    const out = value.map((v) => stripRuntime(v, seen));
    seen.delete(value);
    return out;
  }
  if (value && typeof value === "object" && !isBaseMessage(value)) {
    if (seen.has(value)) return null;
    seen.add(value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === "callbacks" || k === "signal" || k.startsWith("__pregel")) continue;
      if (typeof v === "function") continue;
      out[k] = stripRuntime(v, seen);
    }
    seen.delete(value);
    return out;
  }
  return value;
}
