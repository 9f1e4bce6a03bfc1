/**
 * The one list of the app's pages, in navigation order; the first pattern that matches wins.
 * Adding a page: a module under web/pages/ exporting a `Page`, and one line here.
 */
import type { Page } from "./router.js";
import { modelsPage } from "./pages/models.js";
import { modelPage } from "./pages/model.js";
import { openPage } from "./pages/open.js";
import { proofsPage } from "./pages/proofs.js";
import { ownerModelsPage } from "./pages/owner-models.js";
import { ownerPublishPage } from "./pages/owner-publish.js";
import { ownerModelPage } from "./pages/owner-model.js";
import { operatorPage } from "./pages/operator.js";

export const routes: readonly Page[] = [
  modelsPage,
  modelPage,
  openPage,
  proofsPage,
  ownerModelsPage,
  ownerPublishPage, // before /owner/:id, which would match "publish"
  ownerModelPage,
  operatorPage,
];
