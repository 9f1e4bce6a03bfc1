/**
 * The deployment record that scripts/deploy-suite.ts writes to deployments/<chainId>.json:
 * which chain, and where each contract of the set lives. Validated with zod so that a bad or
 * hand-edited file fails at start-up with the field to fix, not later with a confusing call.
 */
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { getAddress, isAddress, type Address } from "viem";
import { z } from "zod";
import { ChainConfigError } from "./errors.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

const address = z
  .string()
  .refine((text) => isAddress(text, { strict: false }), "not an address")
  .transform((text): Address => getAddress(text));

const deploymentSchema = z.object({
  chainId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  deployer: address,
  blockNumber: z.string().regex(/^(0|[1-9][0-9]*)$/, "not a decimal block number"),
  options: z.record(z.union([z.string(), z.number()])),
  contracts: z.object({
    CustodianRegistry: address,
    LicenseeStaking: address,
    ModelVault: address,
    StorageChallenges: address,
    // null when the ownership verifier was not built at deploy time.
    OwnershipVerifier: address.nullable(),
    ProofAttestations: address.nullable(),
  }),
  // The generated Groth16 verifier of each built inference circuit, by architecture (its circuit
  // name, e.g. "inference_4_16_3"; node/chain/verifiers.ts). Absent in records written before them.
  inferenceVerifiers: z.record(z.string().regex(/^inference(_[1-9][0-9]{0,3}){2,8}(_committed|_argmax)?$/, "not an architecture id like inference_4_16_3 (or a variant, inference_4_16_3_argmax)"), address).optional(),
  // The well-formedness verifier (WellformedVerifier_<sizes>) of each architecture, by its id without variant.
  wellFormedVerifiers: z.record(z.string().regex(/^inference(_[1-9][0-9]{0,3}){2,8}$/, "not an architecture id like inference_4_16_3"), address).optional(),
});

/** Same shape as scripts/deploy-suite.ts's Deployment, so its result can be passed as is. */
export type Deployment = z.infer<typeof deploymentSchema>;

/** Validates a parsed deployment JSON; `source` names it in errors (e.g. the file path). */
export function parseDeployment(value: unknown, source = "deployment"): Deployment {
  const parsed = deploymentSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join(".") || "(root)";
  throw new ChainConfigError(`${source}: ${field}: ${issue.message}`, { field });
}

/** Reads and validates a deployment JSON file. */
export async function loadDeployment(path: string): Promise<Deployment> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    const hint = code === "ENOENT" ? " (deploy the contracts with `npm run deploy`, or name the file with --deployment)" : "";
    throw new ChainConfigError(`cannot read deployment ${path}: ${code}${hint}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ChainConfigError(`deployment ${path} is not valid JSON`);
  }
  return parseDeployment(value, `deployment ${path}`);
}

/** Where `npm run deploy` writes the record of a chain: deployments/<chainId>.json in the repo. */
export function defaultDeploymentPath(chainId: number): string {
  return join(REPO_ROOT, "deployments", `${chainId}.json`);
}
