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

/** What a reviewer may answer to the plan interrupt (`command.resume`). */
export type PlanReview = boolean | { approved?: boolean; plan?: string[]; feedback?: string };

/**
 * Reads a review: `true` or `{approved: true}` keeps the plan, `{plan: [...]}` replaces it,
 * `false` or `{approved: false, feedback}` asks for a new plan with the feedback.
 */
export function readReview(review: unknown, plan: string[]): { plan: string[] } | { replan: string } {
  if (review === true) return { plan };
  if (review === false || review === null || review === undefined) return { replan: "" };
  if (typeof review === "object") {
    const value = review as { approved?: unknown; plan?: unknown; feedback?: unknown };
    if (Array.isArray(value.plan) && value.plan.every((s) => typeof s === "string") && value.plan.length > 0) {
      return { plan: value.plan as string[] };
    }
    if (value.approved === false) return { replan: typeof value.feedback === "string" ? value.feedback : "" };
    if (value.approved === true) return { plan };
  }
  return { replan: "" };
}
