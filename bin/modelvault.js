#!/usr/bin/env node
// The `modelvault` command. In the installed package it runs the built JavaScript
// (node/cli/index.js next to this folder); in a checkout, where only the TypeScript sources
// exist, it loads them through tsx first.
import { existsSync } from "node:fs";
import { enableCompileCache } from "node:module";
import process from "node:process";
import { URL } from "node:url";

// A reader that stops early (`modelvault pins | head`) closes the pipe: the command ends
// quietly with exit code 0 instead of an EPIPE stack trace, whatever it was doing.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error?.code === "EPIPE") process.exit(0);
    if (stream !== process.stderr) process.stderr.write(`modelvault: cannot write output: ${error?.code ?? error?.message} [OUTPUT_FAILED]\n`);
    process.exit(1);
  });
}

const built = new URL("../node/cli/index.js", import.meta.url);
let cli = built;
if (existsSync(built)) {
  // V8's code cache on disk (os.tmpdir()): `node start` loads ~2000 modules, and compiling them
  // again at every start is about a tenth of its time.
  enableCompileCache?.();
} else {
  const { register } = await import("tsx/esm/api");
  register();
  cli = new URL("../node/cli/index.ts", import.meta.url);
}
const { run } = await import(cli.href);
process.exitCode = await run(process.argv.slice(2));
