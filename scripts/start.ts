// npm start — a complete local node in one command: the circuits and contracts built if missing,
// a chain (MODELVAULT_RPC_URL, or a `hardhat node` started on 127.0.0.1:8545 with the contracts
// deployed), and a node that stores models and acts as a staked custodian. Ctrl-C stops it all.
//   MODELVAULT_DATA_DIR  node data dir (default .devnet/node in this checkout)
//   MODELVAULT_PASSWORD  keystore password (default: a development password, with a warning)
//   MODELVAULT_RPC_URL, MODELVAULT_DEPLOYMENT  use an existing chain and deployment instead
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_SCRYPT_N } from "../crypto/index.js";
import { connectChain } from "../node/chain/index.js";
import { startNode } from "../node/cli/daemon.js";
import { createIdentity, identityPath, loadIdentity } from "../node/cli/identity.js";
import { loadConfig } from "../node/config.js";
import { ensureBuilt, ROOT, startDevnet, type Devnet } from "./lib/devnet.js";

const DEV_PASSWORD = "modelvault development node";
const env = { ...process.env };
const log = (line: string) => console.log(line);

env.MODELVAULT_DATA_DIR ??= join(ROOT, ".devnet", "node");
if (env.MODELVAULT_PASSWORD === undefined) {
  env.MODELVAULT_PASSWORD = DEV_PASSWORD;
  log("warning: MODELVAULT_PASSWORD is not set; the keystore uses a development password");
}

ensureBuilt({ log });
let devnet: Devnet | undefined;
if (env.MODELVAULT_RPC_URL === undefined) {
  log("starting a local chain (hardhat node) on 127.0.0.1:8545…");
  devnet = await startDevnet({ deploymentFile: join(ROOT, "deployments", "31337.json"), node: { port: 8545 } });
  env.MODELVAULT_RPC_URL = devnet.chain.rpcUrl;
  env.MODELVAULT_DEPLOYMENT = devnet.deploymentFile;
}

try {
  const config = await loadConfig({ env });
  if (!existsSync(identityPath(config.dataDir))) {
    const created = await createIdentity(config.dataDir, env.MODELVAULT_PASSWORD, env.MODELVAULT_PASSWORD === DEV_PASSWORD ? 1024 : DEFAULT_SCRYPT_N);
    log(`new node identity ${created.identity.address}; recovery phrase (shown once):\n  ${created.mnemonic}`);
  }
  const identity = await loadIdentity(config.dataDir, env.MODELVAULT_PASSWORD);
  if (devnet !== undefined) {
    // A fresh local chain: fund the node and register it as a custodian with the minimum stake.
    await devnet.fund(identity.address);
    const chain = await connectChain(config.chain!, { account: identity.account });
    const minStake = await chain.contracts.custodians.read.minStake();
    await chain.registerCustodian(identity.publicKey, `http://${config.api.host}:${config.api.port}`, minStake);
    await chain.close();
  }
  const node = await startNode(config, identity, { onWarning: (message) => console.error(`warning: ${message}`) });
  log("\nmodelvault is running (Ctrl-C stops the node and the chain)\n");
  log(`  API        ${node.api.url}`);
  for (const address of node.peer.addresses) log(`  peer       ${address}`);
  log(`  account    ${identity.address}${devnet ? " (registered custodian)" : ""}`);
  log(`  chain      ${config.chain!.rpcUrl} (chain id ${node.chain!.chainId}), ModelVault ${node.chain!.deployment.contracts.ModelVault}`);
  log(`  data dir   ${config.dataDir}\n`);

  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  log("stopping…");
  await node.stop();
} finally {
  await devnet?.stop();
}
log("stopped");
