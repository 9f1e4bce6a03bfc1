/**
 * The registry's search and paging, on the client over what listModels returned (the SDK lists
 * every registered model and has no paging of its own): pure functions, unit-tested in Node.
 */
import type { ModelSummary } from "../../sdk/index.js";

/** Rows per page of the registry's table. */
export const PAGE_SIZE = 25;

/** Hex digits a search without "0x" needs before it is compared with owners (fewer match nearly every address). */
const MIN_OWNER_FRAGMENT = 8;

/**
 * Whether a model matches the search text: its id ("7" or "#7", exactly), its name (any part,
 * any case) or its owner's address ("0x…" as a prefix, or at least 8 hex digits anywhere).
 * Empty text matches every model.
 */
export function matchesQuery(model: Pick<ModelSummary, "modelId" | "name" | "owner">, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (q === "") return true;
  if (/^#?[0-9]{1,78}$/.test(q) && BigInt(q.replace("#", "")) === model.modelId) return true;
  if (model.name !== null && model.name.toLowerCase().includes(q)) return true;
  const owner = model.owner.toLowerCase();
  if (/^0x[0-9a-f]{1,40}$/.test(q)) return owner.startsWith(q);
  return q.length >= MIN_OWNER_FRAGMENT && /^[0-9a-f]+$/.test(q) && owner.slice(2).includes(q);
}

export interface PageOf<T> {
  rows: T[];
  /** 1-based, clamped to the pages there are. */
  page: number;
  pages: number;
  /** 1-based index of the first row shown, and of the last (0, 0 when empty). */
  first: number;
  last: number;
}

/** Page `page` (1-based; out of range is clamped) of `rows`, `size` rows a page. */
export function pageOf<T>(rows: readonly T[], page: number, size = PAGE_SIZE): PageOf<T> {
  const pages = Math.max(1, Math.ceil(rows.length / size));
  const current = Math.min(pages, Math.max(1, Number.isSafeInteger(page) ? page : 1));
  const start = (current - 1) * size;
  const shown = rows.slice(start, start + size);
  return { rows: shown, page: current, pages, first: shown.length === 0 ? 0 : start + 1, last: start + shown.length };
}

/** The registry's state in its route: "/?q=llama&page=2" -> { q: "llama", page: 2 }. */
export function registryQuery(path: string): { q: string; page: number } {
  const params = new URLSearchParams(path.split("?")[1] ?? "");
  const page = Number(params.get("page") ?? "1");
  return { q: params.get("q") ?? "", page: Number.isSafeInteger(page) && page >= 1 ? page : 1 };
}

/** The route for a search state ("/" when there is none), so a search can be linked and reloaded. */
export function registryPath(state: { q: string; page: number }): string {
  const params = new URLSearchParams();
  if (state.q !== "") params.set("q", state.q);
  if (state.page > 1) params.set("page", String(state.page));
  const query = params.toString();
  return query === "" ? "/" : `/?${query}`;
}
