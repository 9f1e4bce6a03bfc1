// npm run build:circuits [-- --ptau FILE] [--force] [--bench] [--only NAME]
// Compiles circuits, runs the Groth16 setup and writes verifiers to contracts/verifiers/.
import { parseArgs } from "node:util";
import { buildAll } from "../zkp/circuits.js";
import { terminateCurve } from "../zkp/curve.js";

const { values } = parseArgs({
  options: {
    ptau: { type: "string" },
    force: { type: "boolean", default: false },
    bench: { type: "boolean", default: false },
    only: { type: "string", multiple: true },
  },
});

try {
  const results = await buildAll({ ptau: values.ptau, force: values.force, bench: values.bench, only: values.only });
  const rebuilt = results.filter((r) => r.rebuilt).length;
  console.log(`build:circuits: ${results.length} circuit(s), ${rebuilt} rebuilt`);
} catch (err) {
  console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
  process.exitCode = 1;
} finally {
  await terminateCurve();
}
