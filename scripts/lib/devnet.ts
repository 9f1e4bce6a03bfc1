/**
 * A development chain for `npm start`, `npm run demo`, benchmarks and end-to-end tests: the
 * circuits and contracts built if missing (both cached), a `hardhat node` on 127.0.0.1, the
 * contract suite deployed, and a faucet (hardhat_setBalance).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createPublicClient, createWalletClient, http, numberToHex, type Address } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { artifactPath, deploySuite, type DeployOptions, type Deployment } from "../deploy-suite.js";
import { startHardhatNode, type HardhatNode, type StartHardhatNodeOptions } from "./hardhat-node.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Hardhat's well-known development mnemonic: its accounts are funded on every Hardhat network. */
export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

/** Runs a build step of this checkout in a child process, output shown when `verbose`. */
function runStep(args: string[], verbose: boolean): void {
  execFileSync(process.execPath, args, { cwd: ROOT, stdio: verbose ? "inherit" : "pipe" });
}

/**
 * Builds what is missing: the circuits (and their generated verifier contracts), then the
 * contracts. Both builds are incremental, so a built checkout costs a few seconds.
 */
export function ensureBuilt(options: { verbose?: boolean; log?: (line: string) => void } = {}): void {
  const verbose = options.verbose ?? false;
  const circuitsReady = existsSync(join(ROOT, "contracts", "verifiers", "OwnershipVerifier.sol"));
  if (!circuitsReady) {
    options.log?.("building the circuits (first run on a machine: ~3 minutes for the development ceremony)…");
    runStep(["--import", "tsx", join(ROOT, "scripts", "build-circuits.ts")], verbose);
  }
  if (!circuitsReady || !existsSync(artifactPath("ModelVault")) || !existsSync(artifactPath("OwnershipVerifier", "contracts/verifiers"))) {
    compileContracts(options);
  }
}

/** `hardhat build` (incremental): the contracts and every generated verifier in contracts/verifiers. */
export function compileContracts(options: { verbose?: boolean; log?: (line: string) => void } = {}): void {
  options.log?.("compiling the contracts…");
  const hardhatCli = join(dirname(createRequire(import.meta.url).resolve("hardhat/package.json")), "dist", "src", "cli.js");
  runStep([hardhatCli, "build"], options.verbose ?? false);
}

export interface Devnet {
  chain: HardhatNode;
  deployment: Deployment;
  /** The deployment record on disk, for `--deployment`. */
  deploymentFile: string;
  /** Gives `address` 10 ETH. */
  fund(address: Address, wei?: bigint): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a hardhat node and deploys the suite; the record goes to `deploymentFile`. */
export async function startDevnet(options: {
  deploymentFile: string;
  deploy?: Partial<DeployOptions>;
  node?: StartHardhatNodeOptions;
}): Promise<Devnet> {
  const chain = await startHardhatNode(options.node);
  try {
    const transport = http(chain.rpcUrl);
    const publicClient = createPublicClient({ chain: hardhat, transport });
    const wallet = createWalletClient({ account: mnemonicToAccount(HARDHAT_MNEMONIC), chain: hardhat, transport });
    const deployment = await deploySuite(wallet, publicClient, options.deploy);
    await mkdir(dirname(options.deploymentFile), { recursive: true });
    await writeFile(options.deploymentFile, `${JSON.stringify(deployment, null, 2)}\n`);
    return {
      chain,
      deployment,
      deploymentFile: options.deploymentFile,
      fund: async (address, wei = 10n ** 19n) => {
        await publicClient.request({ method: "hardhat_setBalance" as never, params: [address, numberToHex(wei)] as never });
      },
      stop: () => chain.stop(),
    };
  } catch (error) {
    await chain.stop();
    throw error;
  }
}
