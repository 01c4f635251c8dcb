import type { GraphContext } from "@fractal/infra/graph-context";
import { AIMessage, type BaseMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import { END, type LangGraphRunnableConfig, MessagesZodMeta, Send, START, StateGraph } from "@langchain/langgraph";
import { registry } from "@langchain/langgraph/zod";
import { z } from "zod";
import { configurableOf, settingsModel } from "../model-settings.ts";
import { type Decision, requestReview } from "../review.ts";
import { applyReview, defaultPlan, legacyReview, PLAN_REVIEW, parsePlan, planAction } from "./plan.ts";
import { parseResearchAgentSettings, researchAgentSettings } from "./settings.ts";

type Obj = Record<string, unknown>;

const finding = z.object({ step: z.string(), summary: z.string() });

const ResearchState = z.object({
  messages: z
    .custom<BaseMessage[]>()
    .default(() => [])
    .register(registry, MessagesZodMeta),
  topic: z.string().default(""),
  plan: z.array(z.string()).default(() => []),
  feedback: z.string().default(""),
  /** Parallel research steps append here; a new plan clears it (an empty write). */
  findings: z
    .array(finding)
    .default(() => [])
    .register(registry, {
      reducer: {
        schema: z.array(finding),
        fn: (left: z.infer<typeof finding>[], right: z.infer<typeof finding>[]) =>
          right.length === 0 ? [] : [...left, ...right],
      },
      default: () => [],
    }),
  report: z.string().default(""),
});
type State = z.infer<typeof ResearchState>;

function text(message: BaseMessage | undefined): string {
  if (!message) return "";
  const { content } = message;
  return typeof content === "string" ? content : content.map((p) => ("text" in p ? String(p.text) : "")).join("");
}

/**
 * Plan → human review of the plan (`interrupt`) → one research step per plan item in parallel
 * (`Send`) → report. Progress streams as `custom` events: `{type: "progress", stage, …}`.
 */
export function createResearchAgent(ctx: GraphContext) {
  const settingsFor = (config: LangGraphRunnableConfig) => parseResearchAgentSettings(configurableOf(config));
  const modelFor = (config: LangGraphRunnableConfig) => {
    const settings = settingsFor(config);
    return { settings, model: settingsModel(settings, configurableOf(config), ctx.providers) };
  };

  return new StateGraph(ResearchState, researchAgentSettings)
    .addNode("planner", async (state: State, config) => {
      const { settings, model } = modelFor(config);
      const topic = state.topic || text(state.messages.findLast((m) => m.getType() === "human"));
      config.writer?.({ type: "progress", stage: "planning", topic });
      const ask = [
        new SystemMessage(`Plan research in at most ${settings.max_steps} numbered steps, one per line.`),
        new HumanMessage(state.feedback ? `${topic}\n\nReviewer feedback: ${state.feedback}` : topic),
      ];
      const reply = await model.invoke(ask, config);
      const steps = parsePlan(text(reply), settings.max_steps);
      const plan = steps.length > 0 ? steps : defaultPlan(topic, settings.max_steps);
      config.writer?.({ type: "progress", stage: "planned", plan });
      return { topic, plan, feedback: "", findings: [] };
    })
    .addNode("review", (state: State, config) => {
      // Only the settings: this node calls no model.
      if (!settingsFor(config).review_plan) return { plan: state.plan };
      const [decision] = requestReview([planAction(state.topic, state.plan)], [PLAN_REVIEW], legacyReview);
      const outcome = applyReview(decision as Decision, state.plan);
      return "replan" in outcome ? { plan: [], feedback: outcome.replan || "Make a different plan." } : outcome;
    })
    .addNode("research", async (input: { topic: string; step: string }, config) => {
      const { model } = modelFor(config);
      config.writer?.({ type: "progress", stage: "researching", step: input.step });
      const reply = await model.invoke(
        [new SystemMessage(`You research one step of a plan about ${input.topic}.`), new HumanMessage(input.step)],
        config,
      );
      config.writer?.({ type: "progress", stage: "researched", step: input.step });
      return { findings: [{ step: input.step, summary: text(reply) }] };
    })
    .addNode("write_report", async (state: State, config) => {
      config.writer?.({ type: "progress", stage: "reporting", steps: state.findings.length });
      // Parallel steps finish in any order; the report follows the plan.
      const order = new Map(state.plan.map((step, index) => [step, index]));
      const sections = [...state.findings]
        .sort((a, b) => (order.get(a.step) ?? 0) - (order.get(b.step) ?? 0))
        .map((f) => `## ${f.step}\n\n${f.summary}`);
      const report = [`# ${state.topic}`, ...sections].join("\n\n");
      return { report, messages: [new AIMessage(report)] };
    })
    .addEdge(START, "planner")
    .addEdge("planner", "review")
    .addConditionalEdges("review", (state) =>
      (state.plan ?? []).length === 0
        ? "planner"
        : (state.plan ?? []).map((step) => new Send("research", { topic: state.topic, step })),
    )
    .addEdge("research", "write_report")
    .addEdge("write_report", END)
    .compile({ checkpointer: ctx.checkpointer, store: ctx.store, name: "research-agent" });
}

createResearchAgent.validateSettings = (values: Obj) => {
  parseResearchAgentSettings(values);
};
