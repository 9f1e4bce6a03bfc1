/** esbuild helpers for the browser-bundle checks of the SDK (in the checkout and in the installed package). */
import { builtinModules } from "node:module";
import type { Plugin } from "esbuild";

const BUILTINS = new Set(builtinModules.map((name) => name.replace(/^node:/, "").split("/")[0]!));

/** Fails the build on node:* and on bare builtin names (fs, path, crypto, ...), naming the importer in `seen`. */
export function forbidNodeBuiltins(seen: string[]): Plugin {
  return {
    name: "forbid-node-builtins",
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        const root = args.path.replace(/^node:/, "").split("/")[0]!;
        if (args.path.startsWith("node:") || (BUILTINS.has(root) && !args.path.startsWith("."))) {
          seen.push(`${args.path} <- ${args.importer}`);
          return { errors: [{ text: `Node builtin "${args.path}" imported by ${args.importer}` }] };
        }
        return undefined;
      });
    },
  };
}
