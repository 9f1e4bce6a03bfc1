/**
 * A link to another part of the same page. The app routes on the URL's hash, so an in-page
 * "#id" anchor would be taken for a route: the link keeps the page's own route as its href (it
 * still opens the page when copied) and scrolls to, and highlights, the element when clicked.
 */
import { h, type Child } from "./h.js";

export function jumpLink(route: string, targetId: string, ...children: Child[]): HTMLAnchorElement {
  return h(
    "a",
    {
      href: route,
      class: "jump",
      "data-target": targetId,
      onclick: (event: Event) => {
        const target = document.getElementById(targetId);
        if (target === null) return; // not on the page (yet): the route's href reopens the page
        event.preventDefault();
        target.scrollIntoView({ block: "center" });
        target.classList.remove("highlight");
        void target.offsetWidth; // restarts the highlight's animation
        target.classList.add("highlight");
      },
    },
    ...children,
  );
}
