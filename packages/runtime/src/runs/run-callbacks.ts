import type { Metrics } from "@fractal/infra/metrics/metrics";
import { failSpan, tracer } from "@fractal/infra/tracing/tracing";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { Serialized } from "@langchain/core/load/serializable";
import type { BaseMessage } from "@langchain/core/messages";
import type { LLMResult } from "@langchain/core/outputs";
import { type Context, type Span, SpanKind, trace } from "@opentelemetry/api";

type Obj = Record<string, unknown>;

interface Open {
  /** The span this LangChain run opened; none for runs that only pass their parent on. */
  span?: Span;
  /** The context children of this run start in (none: the handler's parent, if any). */
  context?: Context;
  model?: { provider: string; model: string };
}

const str = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

/** Token counts of a model call: the message's usage metadata, else the provider's llmOutput. */
function usageOf(output: LLMResult): { input?: number; output?: number; model?: string } {
  const generation = output.generations?.[0]?.[0] as { message?: BaseMessage } | undefined;
  const message = generation?.message as
    | (BaseMessage & { usage_metadata?: { input_tokens?: number; output_tokens?: number } })
    | undefined;
  const usage = message?.usage_metadata;
  const response = (message?.response_metadata ?? {}) as Obj;
  const legacy = (output.llmOutput?.tokenUsage ?? {}) as { promptTokens?: number; completionTokens?: number };
  return {
    input: usage?.input_tokens ?? legacy.promptTokens,
    output: usage?.output_tokens ?? legacy.completionTokens,
    model: str(response.model_name) ?? str(response.model),
  };
}

/**
 * LangChain callbacks of one run: with `parent`, spans for graph nodes, chat model calls and tool
 * calls (OpenTelemetry GenAI attributes: gen_ai.operation.name, gen_ai.provider.name,
 * gen_ai.request.model, gen_ai.response.model, gen_ai.usage.input_tokens/output_tokens,
 * gen_ai.tool.name); with `metrics`, the models' token counts. Neither carries prompts, outputs or
 * tool arguments. Callbacks run inline (awaited), so spans start and end when the work does.
 */
export class RunCallbacks extends BaseCallbackHandler {
  name = "fractal_run_callbacks";
  readonly #open = new Map<string, Open>();
  readonly #parent: Context | undefined;
  readonly #metrics: Metrics | undefined;

  constructor(options: { parent?: Context; metrics?: Metrics }) {
    // Without spans only model ends matter: chain and tool events (LangChain's "agent" flag covers
    // tools) skip this handler.
    super({
      _awaitHandler: true,
      ignoreChain: !options.parent,
      ignoreAgent: !options.parent,
      ignoreRetriever: true,
    });
    this.#parent = options.parent;
    this.#metrics = options.metrics;
  }

  #contextOf(parentRunId: string | undefined): Context | undefined {
    return (parentRunId ? this.#open.get(parentRunId)?.context : undefined) ?? this.#parent;
  }

  #start(runId: string, parentRunId: string | undefined, name: string, attributes: Obj, kind = SpanKind.INTERNAL) {
    const parent = this.#contextOf(parentRunId);
    if (!parent) return undefined;
    const span = tracer().startSpan(name, { kind, attributes: attributes as never }, parent);
    this.#open.set(runId, { span, context: trace.setSpan(parent, span) });
    return span;
  }

  #end(runId: string, error?: unknown) {
    const open = this.#open.get(runId);
    this.#open.delete(runId);
    if (!open?.span) return;
    if (error !== undefined) failSpan(open.span, error);
    open.span.end();
  }

  // LangChain's callback manager passes (chain, inputs, runId, parentRunId, tags, metadata, runType,
  // runName): the declared parameter names differ from the order it calls with.
  override handleChainStart(
    _chain: Serialized,
    _inputs: unknown,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    metadata?: Obj,
    _runType?: string,
    runName?: string,
  ) {
    const node = str(metadata?.langgraph_node);
    // A node's own run (not its inner runnables); LangGraph's `__start__` is bookkeeping.
    if (node && node === runName && !node.startsWith("__")) {
      this.#start(runId, parentRunId, `node ${node}`, {
        "langgraph.node": node,
        ...(typeof metadata?.langgraph_step === "number" ? { "langgraph.step": metadata.langgraph_step } : {}),
      });
      return;
    }
    // Graph internals (channel writes, sequences, the graph itself) pass their parent on.
    const parent = this.#contextOf(parentRunId);
    if (parent) this.#open.set(runId, { context: parent });
  }

  override handleChainEnd(_outputs: unknown, runId: string) {
    this.#end(runId);
  }

  override handleChainError(error: Error, runId: string) {
    this.#end(runId, error);
  }

  override handleChatModelStart(
    llm: Serialized,
    _messages: BaseMessage[][],
    runId: string,
    parentRunId?: string,
    extraParams?: Obj,
    _tags?: string[],
    metadata?: Obj,
  ) {
    const params = (extraParams?.invocation_params ?? {}) as Obj;
    const provider = str(metadata?.ls_provider) ?? "unknown";
    const model =
      str(metadata?.ls_model_name) ?? str(params.model) ?? str(params.model_name) ?? llm.id?.at(-1) ?? "unknown";
    const attributes: Obj = {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": provider,
      "gen_ai.request.model": model,
    };
    if (typeof metadata?.ls_temperature === "number")
      attributes["gen_ai.request.temperature"] = metadata.ls_temperature;
    if (typeof metadata?.ls_max_tokens === "number") attributes["gen_ai.request.max_tokens"] = metadata.ls_max_tokens;
    if (this.#parent) this.#start(runId, parentRunId, `chat ${model}`, attributes, SpanKind.CLIENT);
    const open = this.#open.get(runId);
    if (open) open.model = { provider, model };
    else this.#open.set(runId, { context: this.#contextOf(parentRunId), model: { provider, model } });
  }

  override handleLLMEnd(output: LLMResult, runId: string) {
    const open = this.#open.get(runId);
    const usage = usageOf(output);
    if (open?.span) {
      if (usage.model) open.span.setAttribute("gen_ai.response.model", usage.model);
      if (usage.input !== undefined) open.span.setAttribute("gen_ai.usage.input_tokens", usage.input);
      if (usage.output !== undefined) open.span.setAttribute("gen_ai.usage.output_tokens", usage.output);
    }
    if (open?.model && this.#metrics) {
      const labels = { provider: open.model.provider, model: open.model.model };
      if (usage.input) this.#metrics.modelTokens.inc({ ...labels, direction: "input" }, usage.input);
      if (usage.output) this.#metrics.modelTokens.inc({ ...labels, direction: "output" }, usage.output);
    }
    this.#end(runId);
  }

  override handleLLMError(error: Error, runId: string) {
    this.#end(runId, error);
  }

  override handleToolStart(
    _tool: Serialized,
    _input: string,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: Obj,
    runName?: string,
    toolCallId?: string,
  ) {
    if (!this.#parent) return;
    const name = runName ?? "tool";
    this.#start(runId, parentRunId, `execute_tool ${name}`, {
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": name,
      ...(toolCallId ? { "gen_ai.tool.call.id": toolCallId } : {}),
    });
  }

  override handleToolEnd(_output: unknown, runId: string) {
    this.#end(runId);
  }

  override handleToolError(error: Error, runId: string) {
    this.#end(runId, error);
  }
}
