/** This package's version (package.json), in a module of its own: `modelvault --version` loads nothing else. */
import { createRequire } from "node:module";

export const NODE_VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version;
