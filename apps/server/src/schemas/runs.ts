import { STREAM_MODES } from "@fractal/runtime/runs/run-kwargs";
import { z } from "zod";
import { querySelect } from "../select.ts";
import { checkpointRef, jsonObject, queryBool, queryInt, recursionLimit, uuid } from "./common.ts";

const streamMode = z.enum(STREAM_MODES);
const nodes = z.union([z.literal("*"), z.array(z.string().min(1))]);
/** A `command.goto` target: a node name, or a Send `{node, input}`. */
const gotoTarget = z.union([z.string().min(1), z.object({ node: z.string().min(1), input: z.unknown() })]);

export const runCreateBody = z.object({
  assistant_id: z.string().min(1),
  input: z.unknown().optional(),
  command: z
    .object({
      resume: z.unknown().optional(),
      update: z.unknown().optional(),
      goto: z.union([gotoTarget, z.array(gotoTarget).max(1000)]).optional(),
    })
    .nullish(),
  config: z
    .object({
      tags: z.array(z.string()).optional(),
      recursion_limit: recursionLimit.optional(),
      configurable: jsonObject.optional(),
    })
    .loose()
    .optional(),
  context: jsonObject.optional(),
  metadata: jsonObject.optional(),
  checkpoint: checkpointRef.optional(),
  checkpoint_id: z.string().min(1).optional(),
  interrupt_before: nodes.optional(),
  interrupt_after: nodes.optional(),
  stream_mode: z.union([streamMode, z.array(streamMode)]).optional(),
  stream_subgraphs: z.boolean().optional(),
  stream_resumable: z.boolean().optional(),
  on_disconnect: z.enum(["cancel", "continue"]).optional(),
  if_not_exists: z.enum(["reject", "create"]).optional(),
  after_seconds: z.number().min(0).max(31_536_000).optional(),
  multitask_strategy: z.enum(["reject", "enqueue", "interrupt", "rollback"]).optional(),
  on_completion: z.enum(["delete", "keep"]).optional(),
  durability: z.enum(["sync", "async", "exit"]).optional(),
  // Accepted for compatibility; they change nothing here.
  feedback_keys: z.array(z.string()).optional(),
  checkpoint_during: z.boolean().optional(),
  strict_resume: z.boolean().optional(),
  webhook: z.string().optional(),
  langsmith_tracer: z.unknown().optional(),
});
export type RunCreateBody = z.infer<typeof runCreateBody>;

export const runParams = z.object({ thread_id: uuid, run_id: uuid });
export const statelessRunParams = z.object({ run_id: uuid });
export const listRunsQuery = z.object({
  limit: queryInt(1, 1000).default(10),
  offset: queryInt(0, 1_000_000).default(0),
  status: z.enum(["pending", "running", "success", "error", "timeout", "interrupted"]).optional(),
  select: querySelect.optional(),
});
export const cancelQuery = z.object({
  wait: queryBool.optional(),
  action: z.enum(["interrupt", "rollback"]).default("interrupt"),
  reason: z.string().optional(),
});
export const joinQuery = z.object({ cancel_on_disconnect: queryBool.optional() });
export const joinStreamQuery = z.object({
  cancel_on_disconnect: queryBool.optional(),
  stream_mode: z.union([z.string(), z.array(z.string())]).optional(),
  namespace: z.union([z.string(), z.array(z.string())]).optional(),
  checkpoint_id: z.string().optional(),
});
export const bulkCancelBody = z
  .object({
    thread_id: uuid.optional(),
    run_ids: z.array(uuid).min(1).max(1000).optional(),
    status: z.enum(["pending", "running", "all"]).optional(),
  })
  .refine((b) => b.run_ids !== undefined || b.status !== undefined, {
    message: "give run_ids or status",
    path: ["run_ids"],
  });
export const bulkCancelQuery = z.object({ action: z.enum(["interrupt", "rollback"]).default("interrupt") });
export const batchBody = z.array(runCreateBody).min(1).max(100);

export const runResponse = z.object({
  run_id: z.string(),
  thread_id: z.string(),
  assistant_id: z.string(),
  status: z.enum(["pending", "running", "success", "error", "timeout", "interrupted"]),
  metadata: jsonObject,
  kwargs: jsonObject,
  multitask_strategy: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
