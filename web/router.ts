/**
 * Hash routes: "#/models/:id" patterns matched against location.hash. The router renders one
 * page at a time into the outlet and aborts the previous page's signal when the route changes.
 */
import type { AppContext } from "./context.js";
import { AppError } from "./messages.js";
import { errorBanner } from "./ui/error-banner.js";
import { h, replace } from "./ui/h.js";

export type RouteParams = Record<string, string>;

/** One page of the app: a module under web/pages/ exports one, web/routes.ts lists it. */
export interface Page {
  /** "/models/:id": segments starting with ":" are parameters (URI-decoded). */
  pattern: string;
  /** The document title (and the header's link text when `nav` is set). */
  title: string;
  /** Shown in the header's navigation, in routes.ts order. */
  nav?: boolean;
  /** Only on the node's own origin (operator pages); elsewhere a clear refusal is shown. */
  nodeOriginOnly?: boolean;
  /** The page's content; `signal` aborts when the user navigates away (pass it to SDK calls). */
  render(ctx: AppContext, params: RouteParams, signal: AbortSignal): Promise<Node>;
}

export interface Match {
  page: Page;
  params: RouteParams;
}

/** Matches "/models/7" (the hash without "#") against the pages, first match wins. */
export function matchRoute(pages: readonly Page[], path: string): Match | undefined {
  const parts = splitPath(path);
  for (const page of pages) {
    const pattern = splitPath(page.pattern);
    if (pattern.length !== parts.length) continue;
    const params: RouteParams = {};
    const ok = pattern.every((segment, i) => {
      const part = parts[i]!;
      if (segment.startsWith(":")) {
        try {
          params[segment.slice(1)] = decodeURIComponent(part);
          return true;
        } catch {
          return false;
        }
      }
      return segment === part;
    });
    if (ok) return { page, params };
  }
  return undefined;
}

function splitPath(path: string): string[] {
  return path.split("?")[0]!.split("/").filter((part) => part !== "");
}

/** "#/models/7" -> "/models/7"; an empty hash is the home route "/". */
export function currentPath(hash = location.hash): string {
  const path = hash.replace(/^#/, "");
  return path === "" ? "/" : path;
}

/** href for a route: href("/models/:id", { id: 7 }) -> "#/models/7". */
export function href(pattern: string, params: Record<string, string | number | bigint> = {}): string {
  return `#${pattern.replace(/:([A-Za-z_]\w*)/g, (_, name: string) => encodeURIComponent(String(params[name] ?? "")))}`;
}

export class Router {
  #controller: AbortController | undefined;

  constructor(
    private readonly ctx: AppContext,
    private readonly pages: readonly Page[],
    private readonly outlet: HTMLElement,
  ) {}

  start(): void {
    window.addEventListener("hashchange", () => void this.render());
    void this.render();
  }

  /** Renders the current route; a page that throws shows the error banner instead. */
  async render(): Promise<void> {
    this.#controller?.abort(new DOMException("navigated away", "AbortError"));
    const controller = (this.#controller = new AbortController());
    const match = matchRoute(this.pages, currentPath());
    this.outlet.setAttribute("aria-busy", "true");
    let content: Node;
    if (match === undefined) {
      document.title = "Not found · modelvault";
      content = h("section", {}, h("h1", {}, "Page not found"), h("p", {}, h("a", { href: "#/" }, "Back to the models")));
    } else {
      document.title = `${match.page.title} · modelvault`;
      try {
        content = match.page.nodeOriginOnly === true && !this.ctx.isNodeOrigin ? errorBanner(new AppError("NOT_NODE_ORIGIN")) : await match.page.render(this.ctx, match.params, controller.signal);
      } catch (error) {
        content = h("section", {}, h("h1", {}, match.page.title), errorBanner(error));
      }
    }
    if (controller.signal.aborted) return; // a newer route rendered meanwhile
    replace(this.outlet, content);
    this.outlet.setAttribute("aria-busy", "false");
    this.outlet.dataset.route = match?.page.pattern ?? "not-found";
  }
}
