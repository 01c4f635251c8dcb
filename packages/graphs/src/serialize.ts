import { isBaseMessage } from "@langchain/core/messages";

/**
 * Converts graph values to the JSON the API returns: LangChain messages become plain
 * `{type, content, id, …}` objects (as the Platform returns them), everything else passes through.
 */
export function toApiValue(value: unknown): unknown {
  if (isBaseMessage(value)) {
    const { data } = value.toDict();
    return { ...data, type: value.getType() };
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
