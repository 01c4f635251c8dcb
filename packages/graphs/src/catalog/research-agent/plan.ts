import type { ActionRequest, Decision, ReviewConfig } from "../review.ts";

/** Steps from a model's numbered or bulleted list; other lines are ignored. */
export function parsePlan(text: string, maxSteps: number): string[] {
  const steps = text
    .split("\n")
    .map((line) => line.match(/^\s*(?:\d+[.)]|[-*•])\s+(.+?)\s*$/)?.[1])
    .filter((step): step is string => Boolean(step));
  return steps.slice(0, maxSteps);
}

/** The plan used when the model gave no list (the offline echo model never does). */
export function defaultPlan(topic: string, maxSteps: number): string[] {
  return [`Background of ${topic}`, `Current state of ${topic}`, `Open questions about ${topic}`].slice(0, maxSteps);
}

/** The plan as the action a reviewer approves, edits (`args.plan`) or rejects (`message` as feedback). */
export function planAction(topic: string, plan: string[]): ActionRequest {
  return {
    name: "research_plan",
    args: { topic, plan },
    description: `Approve this research plan for "${topic}"? Edit args.plan to change the steps, or reject with feedback to plan again.`,
  };
}

export const PLAN_REVIEW: ReviewConfig = {
  action_name: "research_plan",
  allowed_decisions: ["approve", "edit", "reject"],
};

/**
 * Older answers still understood: `true` keeps the plan, `{plan: [...]}` replaces it, `false` or
 * `{approved: false, feedback}` plans again. Anything else is not one of them (undefined).
 */
export function legacyReview(value: unknown): Decision[] | undefined {
  if (value === true) return [{ type: "approve" }];
  if (value === false) return [{ type: "reject" }];
  if (value && typeof value === "object" && !("decisions" in value)) {
    const v = value as { approved?: unknown; plan?: unknown; feedback?: unknown };
    if (Array.isArray(v.plan) && v.plan.length > 0 && v.plan.every((s) => typeof s === "string")) {
      return [{ type: "edit", edited_action: { name: "research_plan", args: { plan: v.plan } } }];
    }
    if (v.approved === true) return [{ type: "approve" }];
    if (v.approved === false) {
      return [{ type: "reject", ...(typeof v.feedback === "string" ? { message: v.feedback } : {}) }];
    }
  }
  return undefined;
}

/** What a decision means for the plan: keep it, replace it, or plan again with feedback. */
export function applyReview(decision: Decision, plan: string[]): { plan: string[] } | { replan: string } {
  if (decision.type === "approve") return { plan };
  if (decision.type === "reject") return { replan: decision.message ?? "" };
  const edited = decision.edited_action.args.plan;
  const steps = Array.isArray(edited) ? edited.filter((s): s is string => typeof s === "string" && s.length > 0) : [];
  return steps.length > 0 ? { plan: steps } : { replan: "" };
}
