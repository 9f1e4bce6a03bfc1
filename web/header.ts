/** The header: the app's navigation (pages with `nav`) and the wallet's connect button and status. */
import type { AppContext } from "./context.js";
import type { Page } from "./router.js";
import { href } from "./router.js";
import { errorBanner } from "./ui/error-banner.js";
import { shortAddress } from "./ui/format.js";
import { h, replace } from "./ui/h.js";

export function renderHeader(ctx: AppContext, pages: readonly Page[]): HTMLElement {
  const status = h("div", { class: "wallet", id: "wallet" });
  const problem = h("div", { class: "wallet-problem" });
  const draw = () => {
    const { available, account, chainId } = ctx.wallet.state;
    const expected = ctx.config.chain?.chainId;
    if (!available) {
      replace(status, h("span", { class: "muted", "data-wallet": "none" }, "No wallet"));
      return;
    }
    if (account === undefined) {
      replace(status, h("button", { type: "button", id: "connect-wallet", onclick: () => void connect() }, "Connect wallet"));
      return;
    }
    const wrongChain = expected !== undefined && chainId !== undefined && chainId !== expected;
    replace(
      status,
      h("span", { class: "account", title: account, "data-account": account }, shortAddress(account)),
      " ",
      h("span", { class: wrongChain ? "chain wrong" : "chain", "data-chain": chainId ?? "" }, `chain ${chainId ?? "?"}`),
      wrongChain && h("button", { type: "button", id: "switch-chain", onclick: () => void switchChain() }, `Switch to ${expected}`),
    );
  };
  const run = async (action: () => Promise<unknown>) => {
    replace(problem);
    try {
      await action();
    } catch (error) {
      replace(problem, errorBanner(error));
    }
    draw();
  };
  const connect = () => run(() => ctx.wallet.connect());
  const switchChain = () => run(() => ctx.wallet.switchChain());
  ctx.wallet.onChange(draw);
  draw();
  const links = pages.filter((page) => page.nav === true && (page.nodeOriginOnly !== true || ctx.isNodeOrigin)).map((page) => h("a", { href: href(page.pattern) }, page.title));
  return h("header", { class: "site" }, h("a", { class: "brand", href: "#/" }, "modelvault"), h("nav", {}, links), status, problem);
}
