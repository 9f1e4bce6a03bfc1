#!/usr/bin/env node
// The `modelvault` command: loads the TypeScript sources through tsx, then runs the CLI.
import process from "node:process";
import { register } from "tsx/esm/api";

register();
const { run } = await import("../node/cli/index.ts");
process.exitCode = await run(process.argv.slice(2));
