// Deploys the modelvault contracts to an EVM RPC and writes deployments/<chainId>.json for the node.
//   RPC_URL      default http://127.0.0.1:8545 (e.g. `npx hardhat node`)
//   PRIVATE_KEY  deployer key; without it the node's first unlocked account deploys (hardhat node)
//   DEPLOYMENTS_DIR  where the JSON goes (default deployments/)
// Run: npm run deploy (compiles first). The inference verifiers of the circuits built by
// `npm run build:circuits` are deployed too and recorded as inferenceVerifiers (docs/ZK.md).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { createPublicClient, createWalletClient, http } from "viem";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { DeploymentError, deploymentPath, deploySuite } from "./deploy-suite.js";

const rpcUrl = process.env.RPC_URL ?? "http://127.0.0.1:8545";
const transport = http(rpcUrl);
const publicClient = createPublicClient({ transport });
const chainId = await publicClient.getChainId();
const chain = { id: chainId, name: `chain-${chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: [rpcUrl] } } };

let account;
if (process.env.PRIVATE_KEY) {
  account = privateKeyToAccount(process.env.PRIVATE_KEY as Hex);
} else {
  const accounts: Address[] = await createWalletClient({ chain, transport }).getAddresses();
  if (accounts.length === 0) throw new DeploymentError(`${rpcUrl} has no unlocked account: set PRIVATE_KEY`);
  account = accounts[0]!;
}
const wallet = createWalletClient({ account, chain, transport });
const deployment = await deploySuite(wallet, publicClient);
const file = deploymentPath(chainId, process.env.DEPLOYMENTS_DIR);
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(deployment, null, 2)}\n`);
console.table(deployment.contracts);
const architectures = Object.keys(deployment.inferenceVerifiers);
if (architectures.length > 0) console.table(deployment.inferenceVerifiers);
else console.log("no inference verifier deployed (build the circuits first: npm run build:circuits)");
console.log(`wrote ${file}`);
