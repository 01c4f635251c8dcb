import type { ToolCall } from "@langchain/core/messages/tool";
import { z } from "zod";
import { DECISIONS, type Decision, requestReview } from "../review.ts";

/**
 * `interrupt_on`: tool name → `true` (approve, edit or reject) or the decisions allowed, as in
 * LangChain v1's human-in-the-loop middleware. Tools not named run without review.
 */
export const interruptOnSchema = z.record(
  z.string().min(1),
  z.union([
    z.boolean(),
    z.object({ allowed_decisions: z.array(z.enum(DECISIONS)).min(1), description: z.string().optional() }),
  ]),
);
export type InterruptOn = z.infer<typeof interruptOnSchema>;

/** A tool call after review: the call to make (perhaps edited), or the reason it was rejected. */
export type ReviewedCall = ToolCall & { rejected?: string };

function reviewOf(name: string, interruptOn: InterruptOn) {
  const rule = interruptOn[name];
  if (rule === undefined || rule === false) return undefined;
  return rule === true ? { allowed_decisions: [...DECISIONS] } : rule;
}

function apply(call: ToolCall, decision: Decision): ReviewedCall {
  if (decision.type === "approve") return call;
  if (decision.type === "edit")
    return { ...call, name: decision.edited_action.name, args: decision.edited_action.args };
  return { ...call, rejected: decision.message ?? `The user rejected the call to '${call.name}'.` };
}

/**
 * Asks a person about the tool calls `interrupt_on` names (one interrupt for all of them) and returns
 * every call as it should run. Calls that need no review pass unchanged, without an interrupt.
 */
export function approveToolCalls(calls: ToolCall[], interruptOn: InterruptOn): ReviewedCall[] {
  const pending = calls.filter((call) => reviewOf(call.name, interruptOn));
  if (pending.length === 0) return calls;
  const decisions = requestReview(
    pending.map((call) => ({
      name: call.name,
      args: call.args,
      description:
        reviewOf(call.name, interruptOn)?.description ??
        `Tool '${call.name}' wants to run; approve, edit or reject it.`,
    })),
    pending.map((call) => ({
      action_name: call.name,
      allowed_decisions: reviewOf(call.name, interruptOn)?.allowed_decisions ?? [...DECISIONS],
    })),
  );
  const byCall = new Map(pending.map((call, i) => [call, apply(call, decisions[i] as Decision)]));
  return calls.map((call) => byCall.get(call) ?? call);
}
