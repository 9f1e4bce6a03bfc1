// Deploys the modelvault contract set with any viem wallet/public client pair (Hardhat's
// in-process network, `hardhat node`, or any EVM RPC) and describes it as a JSON-ready record.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { getAddress, zeroAddress } from "viem";
import type { Abi, Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export class MissingArtifactError extends Error {
  constructor(readonly contractName: string, readonly path: string) {
    super(`no compiled artifact for ${contractName} at ${path}: run \`npx hardhat build\` first`);
    this.name = "MissingArtifactError";
  }
}

export class DeploymentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeploymentError";
  }
}

export interface DeployOptions {
  /** Bonded wei a custodian needs to be active. */
  custodianMinStake: bigint;
  /** Seconds between a custodian's unbond request and its withdrawal. */
  custodianUnbondingDelay: bigint;
  /** Receives the pool part of slashed stake; defaults to the deployer. */
  slashPool?: Address;
  /** Seconds between a licensee's unstake request and its withdrawal. */
  licenseeCooldown: bigint;
  /** Share of each sale for the custodians, basis points. */
  custodianShareBps: number;
  /** Seconds an access ticket stays valid. */
  ticketTtl: number;
  /** Exact bond per storage challenge, wei. */
  challengeBond: bigint;
  /** Blocks a custodian has to answer after the challenger reveals (1..255). */
  responseWindow: bigint;
  /** Share of stake slashed for a missed challenge, basis points. */
  slashBps: number;
  /** Share of the slashed stake paid to the challenger, basis points. */
  challengerRewardBps: number;
  /** An already deployed OwnershipVerifier; otherwise the compiled one is deployed if present. */
  ownershipVerifier?: Address;
}

export const DEFAULT_DEPLOY_OPTIONS: DeployOptions = {
  custodianMinStake: 10n ** 17n,
  custodianUnbondingDelay: 7n * 24n * 3600n,
  licenseeCooldown: 24n * 3600n,
  custodianShareBps: 2_000,
  ticketTtl: 3600,
  challengeBond: 10n ** 16n,
  responseWindow: 64n,
  slashBps: 1_000,
  challengerRewardBps: 5_000,
};

export interface Deployment {
  chainId: number;
  deployer: Address;
  blockNumber: string;
  options: Record<string, string | number>;
  contracts: {
    CustodianRegistry: Address;
    LicenseeStaking: Address;
    ModelVault: Address;
    StorageChallenges: Address;
    OwnershipVerifier: Address | null;
    ProofAttestations: Address | null;
  };
  /** The inference verifier of each built circuit, by architecture ("inference_4_16_3"); empty without ProofAttestations. */
  inferenceVerifiers: Record<string, Address>;
  /** The well-formedness verifier of each built architecture, by the same id; empty without ProofAttestations. */
  wellFormedVerifiers: Record<string, Address>;
}

interface Artifact {
  abi: Abi;
  bytecode: Hex;
}

export function artifactPath(contractName: string, sourceDir = "contracts"): string {
  return join(ROOT, "artifacts", sourceDir, `${contractName}.sol`, `${contractName}.json`);
}

export function readArtifact(contractName: string, sourceDir = "contracts"): Artifact {
  const path = artifactPath(contractName, sourceDir);
  if (!existsSync(path)) throw new MissingArtifactError(contractName, path);
  const json = JSON.parse(readFileSync(path, "utf8")) as Artifact;
  return { abi: json.abi, bytecode: json.bytecode };
}

const VERIFIERS_DIR = "contracts/verifiers";
// An architecture and its reveal variants (zkp/reveal-mode.ts): InferenceVerifier_4_16_3[_committed|_argmax].sol
const INFERENCE_VERIFIER = /^InferenceVerifier((_[1-9][0-9]{0,3}){2,8}(_committed|_argmax)?)\.sol$/;

/**
 * The inference verifiers `npm run build:circuits` generated (contracts/verifiers/
 * InferenceVerifier_<sizes>.sol), by architecture id: the circuit name, "inference_4_16_3".
 */
export function builtInferenceVerifiers(): { architecture: string; contractName: string }[] {
  const dir = join(ROOT, VERIFIERS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((file) => INFERENCE_VERIFIER.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ architecture: `inference${m[1]!}`, contractName: `InferenceVerifier${m[1]!}` }))
    .sort((a, b) => a.architecture.localeCompare(b.architecture));
}

type Wallet = WalletClient<Transport, Chain | undefined, Account>;

/** Deploys CustodianRegistry, LicenseeStaking, ModelVault, StorageChallenges, binds the two cycles,
 * and deploys OwnershipVerifier + ProofAttestations when a verifier is available, with the
 * inference and well-formedness verifiers of every built architecture (owners set them per model). */
export async function deploySuite(
  wallet: Wallet,
  publicClient: PublicClient,
  overrides: Partial<DeployOptions> = {},
): Promise<Deployment> {
  const o: DeployOptions = { ...DEFAULT_DEPLOY_OPTIONS, ...overrides };
  const deployer = wallet.account.address;

  async function deploy(name: string, args: readonly unknown[], sourceDir?: string): Promise<Address> {
    const { abi, bytecode } = readArtifact(name, sourceDir);
    const hash = await wallet.deployContract({ abi, bytecode, args, account: wallet.account, chain: wallet.chain });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success" || !receipt.contractAddress) throw new DeploymentError(`${name}: deployment reverted`);
    return getAddress(receipt.contractAddress);
  }
  async function bind(name: string, at: Address, peer: Address): Promise<void> {
    const { abi } = readArtifact(name);
    const hash = await wallet.writeContract({
      address: at, abi, functionName: "bind", args: [peer], account: wallet.account, chain: wallet.chain,
    });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new DeploymentError(`${name}.bind reverted`);
  }

  const slashPool = o.slashPool ?? deployer;
  const custodians = await deploy("CustodianRegistry", [o.custodianMinStake, o.custodianUnbondingDelay, slashPool]);
  const staking = await deploy("LicenseeStaking", [o.licenseeCooldown]);
  const vault = await deploy("ModelVault", [custodians, staking, o.custodianShareBps, o.ticketTtl]);
  await bind("LicenseeStaking", staking, vault);
  const challenges = await deploy("StorageChallenges", [
    vault, custodians, o.challengeBond, o.responseWindow, o.slashBps, o.challengerRewardBps,
  ]);
  await bind("CustodianRegistry", custodians, challenges);

  let verifier: Address | null = o.ownershipVerifier ?? null;
  if (verifier === null && existsSync(artifactPath("OwnershipVerifier", VERIFIERS_DIR))) {
    verifier = await deploy("OwnershipVerifier", [], VERIFIERS_DIR);
  }
  const attestations = verifier === null || verifier === zeroAddress
    ? null
    : await deploy("ProofAttestations", [vault, verifier]);
  const inferenceVerifiers: Record<string, Address> = {};
  const wellFormedVerifiers: Record<string, Address> = {};
  if (attestations !== null) {
    for (const { architecture, contractName } of builtInferenceVerifiers()) {
      inferenceVerifiers[architecture] = await deploy(contractName, [], VERIFIERS_DIR);
      const wellFormed = contractName.replace(/^InferenceVerifier/, "WellformedVerifier");
      if (existsSync(artifactPath(wellFormed, VERIFIERS_DIR))) wellFormedVerifiers[architecture] = await deploy(wellFormed, [], VERIFIERS_DIR);
    }
  }

  return {
    chainId: await publicClient.getChainId(),
    deployer,
    blockNumber: (await publicClient.getBlockNumber()).toString(),
    options: Object.fromEntries(
      Object.entries({ ...o, slashPool }).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v as string | number]),
    ),
    contracts: {
      CustodianRegistry: custodians,
      LicenseeStaking: staking,
      ModelVault: vault,
      StorageChallenges: challenges,
      OwnershipVerifier: verifier,
      ProofAttestations: attestations,
    },
    inferenceVerifiers,
    wellFormedVerifiers,
  };
}

/** Where the node looks for the addresses of a chain: deployments/<chainId>.json. */
export function deploymentPath(chainId: number, dir = join(ROOT, "deployments")): string {
  return join(dir, `${chainId}.json`);
}
