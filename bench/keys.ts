// npm run bench:keys — key release latency: `--concurrency` licensees at once, each collecting a
// 2-of-3 key for a ticket that is already mined (one signed request; k custodians asked, the
// third hedged in; each custodian reads the ticket from the chain, checks it and re-wraps its
// share; unwrap, combine, check the key commitment). The chain is a `hardhat node` on
// 127.0.0.1; the three custodians are `modelvault node start` processes; the licensees run here.
// Prints a table, then one JSON line.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createPublicClient, createWalletClient, hexToBytes, http, numberToHex, type Address, type Hex } from "viem";
import { generatePrivateKey, mnemonicToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { generateKeyPair, identityFromPrivateKey } from "../crypto/index.js";
import { createChainClient, type ChainClient, type KeyRequest } from "../node/chain/index.js";
import { collectKey } from "../node/custody/licensee.js";
import { publishWithCustody } from "../node/custody/owner.js";
import { StoragePeer } from "../node/storage/storage-peer.js";
import { deploySuite } from "../scripts/deploy-suite.js";
import { startHardhatNode } from "../scripts/lib/hardhat-node.js";
import { ProcessFixture } from "../scripts/lib/processes.js";

const { values } = parseArgs({
  options: {
    concurrency: { type: "string", default: "50" },
    rounds: { type: "string", default: "10" },
  },
});
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const THRESHOLD = 2;
const CUSTODIANS = 3;
const MNEMONIC = "test test test test test test test test test test test junk";
/** Throwaway custodian keystores: the cheapest scrypt cost the keystore accepts. */
const SCRYPT_N = "1024";

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ ticks
}

const dir = await mkdtemp(join(tmpdir(), "mv-bench-keys-"));
const processes = new ProcessFixture({ MODELVAULT_PASSWORD: "bench password" });
const node = await startHardhatNode();
let ownerPeer: StoragePeer | undefined;
try {
  const transport = http(node.rpcUrl);
  const rpc = createPublicClient({ chain: hardhat, transport });
  const fund = (address: Address) => rpc.request({ method: "hardhat_setBalance" as never, params: [address, numberToHex(10n ** 19n)] as never });
  const deployment = await deploySuite(createWalletClient({ account: mnemonicToAccount(MNEMONIC), chain: hardhat, transport }), rpc, {
    ticketTtl: 24 * 3600,
  });
  const deploymentFile = join(dir, "deployment.json");
  await writeFile(deploymentFile, JSON.stringify(deployment));
  const chainArgs = ["--rpc-url", node.rpcUrl, "--deployment", deploymentFile];
  const clientFor = (privateKey: Hex): Promise<ChainClient> =>
    createChainClient({ rpcUrl: node.rpcUrl, deployment, account: identityFromPrivateKey(hexToBytes(privateKey)).account, pollingIntervalMs: 100 });

  // The owner publishes from this process; custodians fetch the content from its peer.
  const ownerKey = generatePrivateKey();
  const owner = identityFromPrivateKey(hexToBytes(ownerKey));
  await fund(owner.address);
  ownerPeer = await StoragePeer.start({ dataDir: join(dir, "owner") });
  const custodians: Address[] = [];
  const custodianPids: number[] = [];
  for (let i = 0; i < CUSTODIANS; i++) {
    const dataDir = join(dir, `custodian-${i}`);
    const init = await processes.run(["node", "init", "--data-dir", dataDir, "--scrypt-n", SCRYPT_N, "--json"]);
    const { address } = JSON.parse(init.stdout) as { address: Address };
    await fund(address);
    const daemon = await processes.start(["--data-dir", dataDir, "--api-port", "0", "--listen", "/ip4/127.0.0.1/tcp/0", "--peer", ownerPeer.addresses[0]!.toString(), ...chainArgs]);
    const registered = await processes.run(["custodian", "register", "--data-dir", dataDir, "--stake", "0.1eth", "--endpoint", daemon.started.api, ...chainArgs, "--json"]);
    if (registered.code !== 0) throw new Error(registered.stderr);
    custodians.push(address);
    custodianPids.push(daemon.child.pid!);
  }
  const published = await publishWithCustody(ownerPeer, [randomBytes(64 * 1024)], {
    owner: owner.account, chain: await clientFor(ownerKey), custodians, threshold: THRESHOLD,
  });
  const modelId = published.chainModelId;
  const ownerChain = await clientFor(ownerKey);
  const commitment = hexToBytes(published.signed.manifest.keyCommitment as Hex);

  // Licensees with granted licences and one mined ticket per round, all before the clock starts.
  const licensees: ChainClient[] = [];
  for (let i = 0; i < concurrency; i++) {
    const key = generatePrivateKey();
    const chain = await clientFor(key);
    await fund(chain.address!);
    await ownerChain.grant(modelId, chain.address!);
    licensees.push(chain);
  }
  const tickets: { ticket: KeyRequest; privateKey: Uint8Array }[][] = [];
  for (let r = 0; r < rounds + 1; r++) {
    tickets.push(
      await Promise.all(
        licensees.map(async (chain) => {
          const recipient = generateKeyPair();
          return { ticket: await chain.requestKey(modelId, recipient.publicKey), privateKey: recipient.privateKey };
        }),
      ),
    );
  }
  const version = (await ownerChain.version(modelId, 1))!;

  const release = async (i: number, r: number) => {
    const { ticket, privateKey } = tickets[r]![i]!;
    const start = performance.now();
    const key = await collectKey({ chain: licensees[i]!, ticket, modelId, recipientPrivateKey: privateKey, keyCommitment: commitment, version });
    const ms = performance.now() - start;
    if (key.length !== 32) throw new Error("no key");
    return ms;
  };
  // Round 0 warms up (JIT, connections) and is not counted.
  await Promise.all(licensees.map((_, i) => release(i, 0)));
  const round1 = (x: number) => Number(x.toFixed(1));
  const latencies: number[] = [];
  const cpuBefore = { custodians: await Promise.all(custodianPids.map(cpuSeconds)), chain: await cpuSeconds(node.pid), here: process.cpuUsage() };
  const wall = performance.now();
  for (let r = 1; r <= rounds; r++) latencies.push(...(await Promise.all(licensees.map((_, i) => release(i, r)))));
  const wallMs = performance.now() - wall;
  const here = process.cpuUsage(cpuBefore.here);
  const custodianCpu = (await Promise.all(custodianPids.map(cpuSeconds))).reduce((a, b, i) => a + b - cpuBefore.custodians[i]!, 0);
  const chainCpu = (await cpuSeconds(node.pid)) - cpuBefore.chain;
  const perKey = (seconds: number) => round1((seconds * 1000) / latencies.length);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!;
  const figures = {
    p50Ms: round1(pct(50)),
    p90Ms: round1(pct(90)),
    p99Ms: round1(pct(99)),
    maxMs: round1(latencies.at(-1)!),
    keysPerS: round1(latencies.length / (wallMs / 1000)),
    samples: latencies.length,
    cpuMsPerKeyCustodians: perKey(custodianCpu),
    cpuMsPerKeyChain: perKey(chainCpu),
    cpuMsPerKeyLicensees: perKey((here.user + here.system) / 1e6),
    concurrency,
    threshold: THRESHOLD,
    custodians: CUSTODIANS,
  };
  console.log(`\nkey release: ${THRESHOLD}-of-${CUSTODIANS} custodians (separate processes, 127.0.0.1), hardhat node RPC,`);
  console.log(`${concurrency} concurrent licensees, ${rounds} rounds, tickets already mined\n`);
  console.log("  p50 ms   p90 ms   p99 ms   max ms   keys/s   samples");
  console.log([figures.p50Ms, figures.p90Ms, figures.p99Ms, figures.maxMs, figures.keysPerS].map((x) => x.toFixed(1).padStart(7)).join("  ") + String(figures.samples).padStart(10));
  console.log(`\nCPU per key: custodians ${figures.cpuMsPerKeyCustodians} ms (all three), chain ${figures.cpuMsPerKeyChain} ms, licensees ${figures.cpuMsPerKeyLicensees} ms`);
  console.log("goals: p50 <= 20 ms, p99 <= 100 ms\n");
  console.log(JSON.stringify(figures));
} finally {
  await processes.cleanup();
  await ownerPeer?.stop();
  await node.stop();
  await rm(dir, { recursive: true, force: true });
}
