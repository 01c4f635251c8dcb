import * as messages from "@langchain/core/messages";
import { JsonPlusSerializer } from "@langchain/langgraph-checkpoint";

type MessageClass = new (fields: Record<string, unknown>) => object;

/** The message classes read without LangChain's generic loader, by the name in their serialized id. */
const MESSAGE_CLASSES: Record<string, MessageClass> = Object.fromEntries(
  [
    "AIMessage",
    "AIMessageChunk",
    "ChatMessage",
    "ChatMessageChunk",
    "FunctionMessage",
    "FunctionMessageChunk",
    "HumanMessage",
    "HumanMessageChunk",
    "RemoveMessage",
    "SystemMessage",
    "SystemMessageChunk",
    "ToolMessage",
    "ToolMessageChunk",
  ].map((name) => [name, (messages as unknown as Record<string, MessageClass>)[name] as MessageClass]),
);

/** Thrown inside the quick reader when a value needs the stock reader; never escapes it. */
const STOCK = Symbol("stock reader");

/** A class's JSON key → constructor field renames, gathered once from its `lc_aliases`. */
const fieldNames = new Map<MessageClass, Record<string, string>>();

function fieldNamesOf(cls: MessageClass): Record<string, string> {
  let names = fieldNames.get(cls);
  if (names) return names;
  names = {};
  for (let proto = cls.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const aliases = Reflect.get(proto, "lc_aliases") as Record<string, string> | undefined;
    for (const [field, key] of Object.entries(aliases ?? {})) names[key] ??= field;
  }
  fieldNames.set(cls, names);
  return names;
}

/**
 * The constructor field LangChain's loader passes a JSON key under: a key with separators
 * (`-`, `_`, spaces) is lower-cased and camel-cased at every separator run before a letter or digit.
 */
function camelField(key: string): string {
  const trimmed = key.trim();
  if (!/[-_\s]/.test(trimmed)) return trimmed;
  return trimmed
    .replace(/[-_\s]+/g, "_")
    .toLowerCase()
    .replace(/_+([a-z0-9])/g, (_, char: string) => char.toUpperCase());
}

function construct(record: Record<string, unknown>): object {
  const [namespace, module, name, ...rest] = record.id as unknown[];
  const known = namespace === "langchain_core" && module === "messages" && rest.length === 0;
  const cls =
    known && typeof name === "string" && Object.hasOwn(MESSAGE_CLASSES, name) ? MESSAGE_CLASSES[name] : undefined;
  const kwargs = record.kwargs;
  if (!cls || !kwargs || typeof kwargs !== "object" || Array.isArray(kwargs)) throw STOCK;
  const revived = revive(kwargs, true) as Record<string, unknown>;
  const names = fieldNamesOf(cls);
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(revived)) fields[names[key] || camelField(key)] = revived[key];
  return new cls(fields);
}

/**
 * Revives parsed checkpoint JSON in place, as the stock reader would. Inside a message the result
 * is what a JSON round trip gives (the stock reader stringifies a message before loading it): an
 * `undefined` property is dropped and an `undefined` array item becomes null.
 */
function revive(value: unknown, inMessage: boolean): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = revive(value[i], inMessage);
      value[i] = item === undefined && inMessage ? null : item;
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  if (record.lc === 2) {
    if (record.type === "undefined") return undefined;
    if (record.type === "constructor" || record.type === "delta_snapshot") throw STOCK;
  }
  if (record.lc === 1) {
    if (record.type === "constructor" && Array.isArray(record.id)) return construct(record);
    if (inMessage) throw STOCK;
  }
  for (const key of Object.keys(record)) {
    const item = revive(record[key], inMessage);
    if (item === undefined && inMessage) delete record[key];
    else record[key] = item;
  }
  return record;
}

/**
 * LangGraph's JSON serializer with a quicker reader for the common case: checkpoints whose only
 * LangChain objects are messages. The stock reader walks the parsed tree with a promise per node
 * and loads each message by stringifying it and resolving its class through LangChain's import map;
 * on a 400-message thread that is most of the cost of reading its state (and a run reads it twice).
 * This reader builds the message classes directly. Anything else — escaped user objects, sets,
 * maps, errors, byte arrays, delta snapshots, other LangChain classes, secrets — goes to the stock
 * reader whole, so what comes back is the same. What is written is unchanged.
 */
export class CheckpointSerializer extends JsonPlusSerializer {
  protected override async _loads(data: string): Promise<unknown> {
    if (data.includes("__lc_escaped__")) return super._loads(data);
    try {
      return revive(JSON.parse(data), false);
    } catch (error) {
      if (error === STOCK) return super._loads(data);
      throw error;
    }
  }
}
