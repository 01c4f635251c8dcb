import { z } from "zod";
import { mcpServerSchema } from "../../mcp/connect.ts";
import { modelFields, parseSettings, ui } from "../model-settings.ts";
import { interruptOnSchema } from "./approval.ts";

export const DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant. Use the tools you are given when they help.";

/**
 * The react-agent's settings, read from `config.configurable` (see runConfig for the precedence).
 * The `x_oap_ui_config` hints are what Open Agent Platform renders as the assistant's form.
 */
export const reactAgentSettings = z.looseObject({
  ...modelFields,
  system_prompt: z
    .string()
    .default(DEFAULT_SYSTEM_PROMPT)
    .meta(
      ui({
        type: "textarea",
        default: DEFAULT_SYSTEM_PROMPT,
        description: "Instructions sent before the conversation",
      }),
    ),
  mcp_servers: z
    .array(mcpServerSchema)
    .default([])
    .meta(ui({ type: "json", default: [], description: "MCP servers whose tools the agent may call" })),
  interrupt_on: interruptOnSchema.default({}).meta(
    ui({
      type: "json",
      default: {},
      description:
        'Tools a person approves before they run: {"tool_name": true} or {"tool_name": {"allowed_decisions": ["approve", "reject"]}}',
    }),
  ),
});
export type ReactAgentSettings = z.output<typeof reactAgentSettings>;

/** Parses merged settings; a bad model string or field is a 422 naming the field. */
export function parseReactAgentSettings(values: Record<string, unknown>): ReactAgentSettings {
  return parseSettings(reactAgentSettings, values, "react-agent");
}
