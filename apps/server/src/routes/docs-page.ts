import { type OpenApiRegistry, toOpenApiPath } from "@fractal/infra/hono/openapi";

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] as string,
  );

/** A self-contained API reference page (works offline); the machine-readable form is /openapi.json. */
export function renderDocsPage(operations: ReturnType<OpenApiRegistry["operations"]>): string {
  const rows = operations
    .map(
      (op) =>
        `<tr><td class="m ${op.method}">${op.method.toUpperCase()}</td><td><code>${escapeHtml(toOpenApiPath(op.path))}</code></td><td>${escapeHtml(op.summary)}</td><td>${escapeHtml(op.tags.join(", "))}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fractal-agents-runtime API</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left}.m{font-weight:600;font-family:monospace}
.get{color:#2563eb}.post{color:#16a34a}.patch{color:#ca8a04}.delete{color:#dc2626}</style></head>
<body><h1>fractal-agents-runtime API</h1>
<p>Compatible with the LangGraph Platform API as <code>@langchain/langgraph-sdk</code> 1.15 calls it.
Machine-readable document: <a href="/openapi.json">/openapi.json</a>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>Summary</th><th>Tag</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>`;
}
