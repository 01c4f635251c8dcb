/**
 * The entry code of a UI bundle, after `import components from "<user file>"`: `render` mounts a
 * component into the shadow root LoadExternalComponent made (its id is `shadowRootId`) by handing it
 * to the page's component store, which renders it with the page's React.
 */
export const renderSource = `
export function render(name, shadowRootId) {
  const store = globalThis[Symbol.for("LGUI_EXT_STORE")];
  const host = document.getElementById(shadowRootId);
  const root = host && (host.shadowRoot || host.attachShadow({ mode: "open" }));
  if (!store || !root) throw new Error("the page has no LangGraph UI context (bootstrapUiContext)");
  const component = components[name];
  if (!component) throw new Error("no UI component named " + name);
  const target = document.createElement("div");
  root.appendChild(target);
  store.respond(shadowRootId, component, target);
}
`;
