#!/usr/bin/env node
// The `modelvault` command: loads the TypeScript sources through tsx, then runs the CLI.
import process from "node:process";
import { register } from "tsx/esm/api";

// A reader that stops early (`modelvault pins | head`) closes the pipe: the command ends
// quietly with exit code 0 instead of an EPIPE stack trace, whatever it was doing.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error?.code === "EPIPE") process.exit(0);
    if (stream !== process.stderr) process.stderr.write(`modelvault: cannot write output: ${error?.code ?? error?.message} [OUTPUT_FAILED]\n`);
    process.exit(1);
  });
}

register();
const { run } = await import("../node/cli/index.ts");
process.exitCode = await run(process.argv.slice(2));
