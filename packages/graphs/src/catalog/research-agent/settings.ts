import { z } from "zod";
import { modelFields, parseSettings, ui } from "../model-settings.ts";

/** The research-agent's settings, read from `config.configurable` like the react-agent's. */
export const researchAgentSettings = z.looseObject({
  ...modelFields,
  max_steps: z
    .number()
    .int()
    .min(1)
    .max(10)
    .default(3)
    .meta(ui({ type: "slider", default: 3, min: 1, max: 10, step: 1, description: "Most research steps in a plan" })),
  review_plan: z
    .boolean()
    .default(true)
    .meta(ui({ type: "boolean", default: true, description: "Pause for a person to approve or edit the plan" })),
});
export type ResearchAgentSettings = z.output<typeof researchAgentSettings>;

export function parseResearchAgentSettings(values: Record<string, unknown>): ResearchAgentSettings {
  return parseSettings(researchAgentSettings, values, "research-agent");
}
