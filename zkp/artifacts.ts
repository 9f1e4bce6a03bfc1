// Where build:circuits puts each circuit's artifacts, and loading them for proving.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const BUILD_DIR = process.env.MODELVAULT_CIRCUIT_BUILD ?? join(PROJECT_ROOT, "build", "circuits");
export const VERIFIERS_DIR = join(PROJECT_ROOT, "contracts", "verifiers");

export class MissingArtifactError extends Error {
  override name = "MissingArtifactError";
}

export interface CircuitArtifacts {
  name: string;
  contractName: string;
  dir: string;
  r1cs: string;
  wasm: string;
  zkey: string;
  vkey: string;
  infoFile: string;
  verifierSol: string;
}

/** "ownership" -> "OwnershipVerifier", "inference_4_16_3" -> "InferenceVerifier_4_16_3". */
export function verifierContractName(name: string): string {
  const [head, ...rest] = name.split("_");
  const base = `${head!.charAt(0).toUpperCase()}${head!.slice(1)}Verifier`;
  return [base, ...rest].join("_");
}

export function circuitArtifacts(name: string, contractName = verifierContractName(name)): CircuitArtifacts {
  const dir = join(BUILD_DIR, name);
  return {
    name,
    contractName,
    dir,
    r1cs: join(dir, `${name}.r1cs`),
    wasm: join(dir, `${name}_js`, `${name}.wasm`),
    zkey: join(dir, `${name}.zkey`),
    vkey: join(dir, "verification_key.json"),
    infoFile: join(dir, "build-info.json"),
    verifierSol: join(VERIFIERS_DIR, `${contractName}.sol`),
  };
}

/** Artifacts of a built circuit; a clear error naming the build command when they are missing. */
export function builtArtifacts(name: string): CircuitArtifacts {
  const art = circuitArtifacts(name);
  for (const f of [art.wasm, art.zkey, art.vkey]) {
    if (!existsSync(f)) throw new MissingArtifactError(`${f} missing: run \`npm run build:circuits\``);
  }
  return art;
}
