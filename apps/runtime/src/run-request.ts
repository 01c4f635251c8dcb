import type { RunKwargs, StreamMode } from "@fractal/graphs/runs/run-kwargs";
import type { CreateRunRequest } from "@fractal/graphs/runs/run-service";
import type { RunCreateBody } from "./schemas/runs.ts";

/** Turns a validated run body into what the run service stores; `stream` is what this request streams. */
export function toRunRequest(body: RunCreateBody, defaults: { streamMode: StreamMode[] }): CreateRunRequest {
  const streamMode = body.stream_mode === undefined ? defaults.streamMode : [body.stream_mode].flat();
  const kwargs: RunKwargs = {
    input: body.input,
    command: body.command ?? undefined,
    config: body.config,
    context: body.context,
    stream_mode: streamMode as StreamMode[],
    stream_subgraphs: body.stream_subgraphs,
    stream_resumable: body.stream_resumable,
    interrupt_before: body.interrupt_before,
    interrupt_after: body.interrupt_after,
    checkpoint_id: body.checkpoint_id,
    checkpoint: body.checkpoint,
    durability: body.durability,
    on_completion: body.on_completion,
    webhook: body.webhook,
  };
  return {
    assistant_id: body.assistant_id,
    kwargs,
    metadata: body.metadata,
    multitask_strategy: body.multitask_strategy,
    if_not_exists: body.if_not_exists,
    after_seconds: body.after_seconds,
  };
}
