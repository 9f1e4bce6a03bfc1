/**
 * The one element builder of the app. Text goes in through text nodes only: no innerHTML with
 * data anywhere, so a model name or a node's answer can never become markup.
 */
export type Child = Node | string | number | bigint | false | null | undefined | readonly Child[];

export type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** h("a", { href: "#/models", class: "nav" }, "Models"): attributes set one by one, `on*` as listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "function") {
      element.addEventListener(name.replace(/^on/, "").toLowerCase(), value);
      continue;
    }
    // Attribute values are never parsed as markup; javascript: URLs are refused outright.
    if ((name === "href" || name === "src") && /^\s*javascript:/i.test(String(value))) throw new Error(`refused ${name}: javascript: URL`);
    element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

/** Appends children (strings as text nodes, arrays flattened, false/null/undefined skipped). */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(parent, child as readonly Child[]);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces all children of `parent`. */
export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild !== null) parent.removeChild(parent.firstChild);
  append(parent, children);
}
