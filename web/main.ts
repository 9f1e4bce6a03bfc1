/** The app's entry: loads the node's web config, builds the context, draws the header and routes. */
import type { EIP1193Provider } from "viem";
import { createAppContext, loadConfig } from "./context.js";
import { renderHeader } from "./header.js";
import { Router } from "./router.js";
import { routes } from "./routes.js";
import { errorBanner } from "./ui/error-banner.js";
import { replace } from "./ui/h.js";

async function start(): Promise<void> {
  const root = document.getElementById("app")!;
  // The app is served by the node: its API is on the same origin.
  const nodeOrigin = location.origin;
  try {
    const config = await loadConfig(nodeOrigin);
    const provider = (window as unknown as { ethereum?: EIP1193Provider }).ethereum;
    const ctx = createAppContext({ nodeOrigin, config, provider, isNodeOrigin: true });
    const outlet = document.createElement("main");
    outlet.id = "outlet";
    replace(root, renderHeader(ctx, routes), outlet);
    new Router(ctx, routes, outlet).start();
  } catch (error) {
    replace(root, errorBanner(error));
  }
}

void start();
