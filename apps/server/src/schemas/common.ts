import { isUuid } from "@fractal/infra/ids";
import { defaultAssistantId } from "@fractal/runtime/default-assistants";
import { z } from "zod";

export const jsonObject = z.record(z.string(), z.unknown());
// Any 8-4-4-4-12 hex id, as Postgres accepts; clients send v4 and v7 ids alike.
export const uuid = z.guid();

/**
 * An assistant id, or a graph id standing for that graph's default assistant (whose id is derived
 * from the graph id), as the SDK and RemoteGraph send it wherever an assistant id goes.
 */
export const assistantRef = z
  .string()
  .min(1)
  .max(256)
  .transform((value) => (isUuid(value) ? value : defaultAssistantId(value)));
export const sortOrder = z.enum(["asc", "desc"]);
export const ifExists = z.enum(["raise", "do_nothing"]);
export const limit = z.number().int().min(1).max(1000).default(10);
/** Offsets and versions fit the 32-bit integers that store them. */
export const MAX_INT32 = 2_147_483_647;
export const offset = z.number().int().min(0).max(MAX_INT32).default(0);
/** LangGraph's step bound, as assistants and runs take it. */
export const recursionLimit = z.number().int().positive().max(100_000);
/** TTLs in minutes: up to 100 years (PostgreSQL intervals hold far more, but 1e12 minutes overflows them). */
export const MAX_TTL_MINUTES = 52_560_000;

/** Booleans in query strings: `true|false|1|0`. */
export const queryBool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");
export const queryInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const checkpointRef = z.object({
  thread_id: z.string().optional(),
  checkpoint_ns: z.string().optional(),
  checkpoint_id: z.string().optional(),
  checkpoint_map: jsonObject.nullish(),
});
