// Circuit build: circom2 (--O2) -> Groth16 setup -> verification key + Solidity verifier.
// Incremental: a stamp (hash of sources, includes, ptau and builder version) skips unchanged circuits.
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import * as snarkjs from "snarkjs";
import { resolvePtau, type PtauChoice } from "./ptau.js";
import { PROJECT_ROOT, circuitArtifacts, type CircuitArtifacts } from "./artifacts.js";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
/** Bump when the build steps change so old stamps are invalidated. */
const BUILDER_VERSION = "1";
const DEV_ZKEY_BEACON = "6d6f64656c7661756c742d696e7365637572652d7a6b65792d626561636f6e2d31";

export class CircuitBuildError extends Error {
  override name = "CircuitBuildError";
}

export interface CircuitSpec {
  /** Artifact name, e.g. "ownership" or "inference_4_16_3". */
  name: string;
  /** Path of the main .circom file (a source in circuits/ or a generated file in build/). */
  source: string;
  /** Solidity contract name of the generated verifier. */
  contractName: string;
}

export interface BuildOptions {
  /** Ceremony ptau path; otherwise MODELVAULT_PTAU, otherwise the insecure dev ptau. */
  ptau?: string;
  /** Rebuild even when the stamp matches. */
  force?: boolean;
  log?: (msg: string) => void;
}

export interface BuildResult extends CircuitArtifacts {
  rebuilt: boolean;
  constraints: number;
  setupSeconds: number;
}

const INCLUDE_DIRS = [join(PROJECT_ROOT, "circuits"), join(PROJECT_ROOT, "node_modules")];

/** The main file and every file it includes, recursively, in a stable order. */
function sourceClosure(file: string, seen = new Map<string, string>()): Map<string, string> {
  const abs = resolve(file);
  if (seen.has(abs)) return seen;
  const text = readFileSync(abs, "utf8");
  seen.set(abs, text);
  for (const m of text.matchAll(/^\s*include\s+"([^"]+)"/gm)) {
    const inc = m[1]!;
    const candidates = [join(dirname(abs), inc), ...INCLUDE_DIRS.map((d) => join(d, inc))];
    const found = candidates.find((c) => existsSync(c));
    if (!found) throw new CircuitBuildError(`${abs}: include not found: ${inc}`);
    sourceClosure(found, seen);
  }
  return seen;
}

function stampOf(spec: CircuitSpec, ptau: PtauChoice | undefined, power: number | undefined): string {
  const h = createHash("sha256");
  h.update(`builder ${BUILDER_VERSION}\ncontract ${spec.contractName}\n`);
  for (const [path, text] of [...sourceClosure(spec.source)].sort(([a], [b]) => a.localeCompare(b))) {
    h.update(`${path}\n${text}\n`);
  }
  if (ptau) {
    const st = statSync(ptau.path);
    h.update(`ptau ${ptau.path} ${st.size} ${st.mtimeMs} ${power}`);
  }
  return h.digest("hex");
}

/** ceil-ish power as snarkjs computes it: 2^power must exceed constraints + public signals. */
export function requiredPower(nConstraints: number, nPublic: number): number {
  return Math.floor(Math.log2(nConstraints + nPublic)) + 1;
}

async function compile(spec: CircuitSpec, outDir: string): Promise<void> {
  const circom = require.resolve("circom2/cli.js");
  const args = [circom, spec.source, "--r1cs", "--wasm", "--O2", "-o", outDir];
  for (const d of INCLUDE_DIRS) args.push("-l", d);
  try {
    // cwd "/": circom2's WASI preopens are the cwd's parents, so from the project it cannot follow
    // a node_modules symlink that leaves it (a git worktree sharing another checkout's).
    await run(process.execPath, args, { maxBuffer: 64 * 1024 * 1024, cwd: "/" });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    throw new CircuitBuildError(`circom2 failed for ${spec.name}:\n${e.stderr ?? ""}${e.stdout ?? ""}`);
  }
}

/** Constraint count of a circuit, compiled into a scratch folder without any setup. */
export async function countConstraints(spec: CircuitSpec): Promise<number> {
  const dir = join(circuitArtifacts(spec.name, spec.contractName).dir, "..", "scratch", spec.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await compile(spec, dir);
  const { nConstraints } = await snarkjs.r1cs.info(join(dir, `${basename(spec.source, ".circom")}.r1cs`));
  rmSync(dir, { recursive: true, force: true });
  return nConstraints;
}

/** Banner that marks the verifier as build output, then the snarkjs contract under our name. */
export function renameVerifier(solidity: string, contractName: string, source: string): string {
  if (!solidity.includes("contract Groth16Verifier")) {
    throw new CircuitBuildError("snarkjs verifier template changed: contract Groth16Verifier not found");
  }
  const banner =
    `// GENERATED FILE - DO NOT EDIT. Written by \`npm run build:circuits\` from ${source}\n` +
    "// (snarkjs Groth16 verifier template). Regenerate instead of editing.\n";
  return banner + solidity.replace("contract Groth16Verifier", `contract ${contractName}`);
}

export async function buildCircuit(spec: CircuitSpec, opts: BuildOptions = {}): Promise<BuildResult> {
  const log = opts.log ?? ((m: string) => console.log(m));
  const art = circuitArtifacts(spec.name, spec.contractName);
  const info = existsSync(art.infoFile)
    ? (JSON.parse(readFileSync(art.infoFile, "utf8")) as { stamp: string; constraints: number; power: number; setupSeconds: number })
    : undefined;

  // The stamp needs the ptau, which needs the power, which needs the r1cs: trust the previous
  // build's power for the check, and recompile when sources changed.
  if (!opts.force && info && existsSync(art.zkey) && existsSync(art.verifierSol) && existsSync(art.wasm)) {
    const ptau = await resolvePtau(info.power, opts.ptau, { quiet: true });
    if (stampOf(spec, ptau, info.power) === info.stamp) {
      log(`${spec.name}: up to date (${info.constraints} constraints)`);
      return { ...art, rebuilt: false, constraints: info.constraints, setupSeconds: info.setupSeconds };
    }
  }

  rmSync(art.dir, { recursive: true, force: true });
  mkdirSync(art.dir, { recursive: true });
  log(`${spec.name}: compiling ${spec.source}`);
  await compile(spec, art.dir);
  const r1cs = await snarkjs.r1cs.info(art.r1cs);
  const power = requiredPower(r1cs.nConstraints, r1cs.nPubInputs + r1cs.nOutputs);
  log(`${spec.name}: ${r1cs.nConstraints} constraints, needs ptau 2^${power}`);
  const ptau = await resolvePtau(power, opts.ptau);
  if (ptau.power !== undefined && ptau.power < power) throw new CircuitBuildError(`ptau 2^${ptau.power} too small`);

  const t0 = performance.now();
  const zkey0 = `${art.zkey}.0`;
  const res = await snarkjs.zKey.newZKey(art.r1cs, ptau.path, zkey0);
  if (res === -1) throw new CircuitBuildError(`snarkjs setup failed for ${spec.name} (ptau ${ptau.path} too small or unprepared?)`);
  if (ptau.insecure) {
    // Deterministic phase-2 contribution for dev: same inputs -> same keys -> same verifier.
    await snarkjs.zKey.beacon(zkey0, art.zkey, "modelvault insecure dev zkey beacon", DEV_ZKEY_BEACON, 10);
  } else {
    await snarkjs.zKey.contribute(zkey0, art.zkey, "modelvault builder", randomBytes(32).toString("hex"));
  }
  rmSync(zkey0, { force: true });
  const setupSeconds = (performance.now() - t0) / 1000;

  const vkey = await snarkjs.zKey.exportVerificationKey(art.zkey);
  writeFileSync(art.vkey, JSON.stringify(vkey, null, 1));
  const template = readFileSync(join(dirname(require.resolve("snarkjs")), "..", "templates", "verifier_groth16.sol.ejs"), "utf8");
  const sol = await snarkjs.zKey.exportSolidityVerifier(art.zkey, { groth16: template });
  mkdirSync(dirname(art.verifierSol), { recursive: true });
  writeFileSync(art.verifierSol, renameVerifier(sol, spec.contractName, spec.source.replace(`${PROJECT_ROOT}/`, "")));

  const stamp = stampOf(spec, ptau, power);
  writeFileSync(art.infoFile, JSON.stringify({ stamp, constraints: r1cs.nConstraints, power, setupSeconds }, null, 1));
  log(`${spec.name}: setup ${setupSeconds.toFixed(1)} s -> ${art.verifierSol}`);
  return { ...art, rebuilt: true, constraints: r1cs.nConstraints, setupSeconds };
}
