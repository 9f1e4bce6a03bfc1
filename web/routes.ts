/**
 * The one list of the app's pages, in navigation order; the first pattern that matches wins.
 * Adding a page: a module under web/pages/ exporting a `Page`, and one line here.
 */
import type { Page } from "./router.js";
import { modelsPage } from "./pages/models.js";
import { modelPage } from "./pages/model.js";
import { operatorPage } from "./pages/operator.js";

export const routes: readonly Page[] = [
  modelsPage,
  modelPage,
  operatorPage,
];
