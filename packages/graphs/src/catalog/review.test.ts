import { describe, expect, test } from "bun:test";
import { type ReviewConfig, readDecisions } from "./review.ts";

const configs: ReviewConfig[] = [
  { action_name: "send", allowed_decisions: ["approve", "reject"] },
  { action_name: "edit_me", allowed_decisions: ["edit"] },
];

describe("review decisions", () => {
  test("one allowed decision per action; edit takes edited_action or editedAction", () => {
    expect(
      readDecisions(
        { decisions: [{ type: "approve" }, { type: "edit", editedAction: { name: "edit_me", args: { a: 1 } } }] },
        configs,
      ),
    ).toEqual([{ type: "approve" }, { type: "edit", edited_action: { name: "edit_me", args: { a: 1 } } }]);
  });

  test("a wrong shape, count or decision type is named, never taken for a decision", () => {
    expect(readDecisions("ok", configs)).toContain("expected {decisions");
    expect(readDecisions({ decisions: [{ type: "approve" }] }, configs)).toBe("expected 2 decision(s), got 1");
    expect(readDecisions({ decisions: [{ type: "edit" }, { type: "edit" }] }, configs)).toContain("edited_action");
    expect(readDecisions({ decisions: [{ type: "reject", message: "no" }, { type: "approve" }] }, configs)).toBe(
      "'approve' is not allowed for 'edit_me' (allowed: edit)",
    );
  });
});
