import { notFound } from "@fractal/infra/errors";
import { type OpenApiRegistry, routesOn } from "@fractal/infra/hono/openapi";
import type { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { uiGlobalName } from "../ui/bundle.ts";

const tags = ["ui"];
const uiParams = z.object({ name: z.string().min(1).max(256) });
const fileParams = uiParams.extend({ file: z.string().min(1).max(256) });
const componentBody = z.object({
  name: z.string().min(1).max(256),
  /** Replaced by the page (LoadExternalComponent) with the id of the shadow root it made. */
  shadowRootId: z.string().max(256).default("{{shadowRootId}}"),
});

async function filesOf(c: { var: AppEnv["Variables"] }, name: string) {
  const files = await c.var.deps.ui.files(name);
  if (!files) throw notFound("UI", name);
  return files;
}

/** Generative UI: langgraph.json `ui` bundles, as Agent Chat UI's LoadExternalComponent loads them. */
export function registerUiRoutes(app: Hono<AppEnv>, api: OpenApiRegistry): void {
  const route = routesOn(app, api, tags);
  route("post /ui/:name", "HTML that loads a UI component of a graph's bundle into a shadow root")(
    { params: uiParams, body: componentBody, responses: { 200: z.string().describe("text/html") } },
    async (c, { params, body }) => {
      const files = await filesOf(c, params.name);
      const base = `${new URL(c.req.url).origin}/ui/${encodeURIComponent(params.name)}`;
      const html = [
        ...files
          .filter((f) => f.name.endsWith(".css"))
          .map((f) => `<link rel="stylesheet" href="${base}/${f.name}" />`),
        ...files
          .filter((f) => f.name.endsWith(".js"))
          .map(
            (f) =>
              `<script src="${base}/${f.name}" onload='${uiGlobalName(params.name)}.render(${JSON.stringify(body.name)}, ${JSON.stringify(body.shadowRootId)})'></script>`,
          ),
      ];
      return c.html(html.join("\n"));
    },
  );

  route("get /ui/:name/:file", "A file of a graph's UI bundle")(
    { params: fileParams, responses: { 200: z.string() } },
    async (c, { params }) => {
      const file = (await filesOf(c, params.name)).find((f) => f.name === params.file);
      if (!file) throw notFound("UI file", `${params.name}/${params.file}`);
      return c.body(file.contents as Uint8Array<ArrayBuffer>, 200, { "Content-Type": file.type });
    },
  );
}
