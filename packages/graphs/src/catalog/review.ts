import { interrupt } from "@langchain/langgraph";
import { z } from "zod";

type Obj = Record<string, unknown>;

/** What a reviewer may decide about an action: LangChain v1's human-in-the-loop decisions. */
export const DECISIONS = ["approve", "edit", "reject"] as const;
export type DecisionType = (typeof DECISIONS)[number];

/** One action awaiting review, as LangChain v1's human-in-the-loop middleware describes it. */
export interface ActionRequest {
  name: string;
  args: Obj;
  description?: string;
}

export interface ReviewConfig {
  action_name: string;
  allowed_decisions: DecisionType[];
}

export type Decision =
  | { type: "approve" }
  | { type: "edit"; edited_action: { name: string; args: Obj } }
  | { type: "reject"; message?: string };

const editedAction = z.object({ name: z.string().min(1), args: z.record(z.string(), z.unknown()) });
const decision = z.discriminatedUnion("type", [
  z.object({ type: z.literal("approve") }),
  // Python clients send edited_action, JS ones editedAction.
  z.object({ type: z.literal("edit"), edited_action: editedAction.optional(), editedAction: editedAction.optional() }),
  z.object({ type: z.literal("reject"), message: z.string().optional() }),
]);
const answer = z.object({ decisions: z.array(decision).max(100) });

/** Why an answer cannot be used, or the decisions it holds (one per action, each one allowed). */
export function readDecisions(value: unknown, configs: ReviewConfig[]): Decision[] | string {
  const parsed = answer.safeParse(value);
  if (!parsed.success) {
    return `expected {decisions: [{type: "approve" | "edit" | "reject", …}]}: ${parsed.error.issues[0]?.message ?? "bad answer"}`;
  }
  const decisions: Decision[] = [];
  for (const d of parsed.data.decisions) {
    if (d.type !== "edit") decisions.push(d);
    else {
      const edited = d.edited_action ?? d.editedAction;
      if (!edited) return "an edit decision needs edited_action {name, args}";
      decisions.push({ type: "edit", edited_action: edited });
    }
  }
  if (decisions.length !== configs.length) return `expected ${configs.length} decision(s), got ${decisions.length}`;
  for (const [i, d] of decisions.entries()) {
    const config = configs[i] as ReviewConfig;
    if (!config.allowed_decisions.includes(d.type)) {
      return `'${d.type}' is not allowed for '${config.action_name}' (allowed: ${config.allowed_decisions.join(", ")})`;
    }
  }
  return decisions;
}

/**
 * Pauses for a person with `interrupt()` in the shape Agent Chat UI reviews (LangChain v1's
 * human-in-the-loop middleware): `{action_requests, review_configs}`, resumed with
 * `{decisions: [...]}`. An answer that cannot be used asks again, naming the problem (`error`), so a
 * wrong answer never passes for a decision. `legacy` may accept older answers a graph understood.
 */
export function requestReview(
  actions: ActionRequest[],
  configs: ReviewConfig[],
  legacy?: (value: unknown) => Decision[] | undefined,
): Decision[] {
  let error: string | undefined;
  for (;;) {
    const value = interrupt({ action_requests: actions, review_configs: configs, ...(error ? { error } : {}) });
    const old = legacy?.(value);
    if (old) return old;
    const read = readDecisions(value, configs);
    if (typeof read !== "string") return read;
    error = read;
  }
}
