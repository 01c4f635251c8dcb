import { z } from "zod";
import { jsonObject, offset, uuid } from "./common.ts";
import { runCreateBody } from "./runs.ts";

/** What each tick's run is made of (stored with the cron). */
const runFields = runCreateBody.pick({
  input: true,
  config: true,
  context: true,
  interrupt_before: true,
  interrupt_after: true,
  multitask_strategy: true,
  durability: true,
  webhook: true,
  stream_mode: true,
  stream_subgraphs: true,
  stream_resumable: true,
  checkpoint_during: true,
});

export const createCronBody = runFields.extend({
  assistant_id: z.string().min(1),
  schedule: z.string().min(1),
  timezone: z.string().min(1).optional(),
  end_time: z.iso.datetime({ offset: true }).optional(),
  enabled: z.boolean().optional(),
  metadata: jsonObject.optional(),
  on_run_completed: z.enum(["delete", "keep"]).optional(),
});
export type CreateCronBody = z.infer<typeof createCronBody>;

export const patchCronBody = runFields.partial().extend({
  schedule: z.string().min(1).optional(),
  timezone: z.string().min(1).nullish(),
  end_time: z.iso.datetime({ offset: true }).nullish(),
  enabled: z.boolean().optional(),
  metadata: jsonObject.optional(),
  on_run_completed: z.enum(["delete", "keep"]).optional(),
});

const cronFilter = {
  /** An assistant id or a graph id; resolved by the route, which knows the graphs. */
  assistant_id: z.string().min(1).max(256).optional(),
  thread_id: uuid.optional(),
  metadata: jsonObject.optional(),
};
export const searchCronsBody = z.object({
  ...cronFilter,
  enabled: z.boolean().optional(),
  limit: z.number().int().min(1).max(1000).default(10),
  offset,
  sort_by: z
    .enum(["cron_id", "assistant_id", "thread_id", "next_run_date", "end_time", "created_at", "updated_at"])
    .optional(),
  sort_order: z.enum(["asc", "desc"]).optional(),
  select: z.array(z.string()).optional(),
});
export const countCronsBody = z.object(cronFilter);
export const cronIdParams = z.object({ cron_id: uuid });

export const cronResponse = z.object({
  cron_id: z.string(),
  assistant_id: z.string(),
  thread_id: z.string().nullable(),
  schedule: z.string(),
  timezone: z.string().nullable(),
  payload: jsonObject,
  metadata: jsonObject,
  enabled: z.boolean(),
  end_time: z.string().nullable(),
  on_run_completed: z.string(),
  next_run_date: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  user_id: z.null(),
});
