// npm run bench:keys — key release latency and CPU: licensees collecting a k-of-n key for a
// ticket that is already mined (one signed request; k custodians asked, the others hedged in;
// each custodian checks the ticket against its ticket index, or the chain for a ticket it has
// not seen, and re-wraps its share; unwrap, combine, check the key commitment). The chain is a
// `hardhat node` on 127.0.0.1; custodians are `modelvault node start` processes; licensees run
// here. Phases: 2-of-3 at `--concurrency` (the headline figures), one licensee alone, 3-of-5 and
// 5-of-9 at `--concurrency`, and `--flood-licensees` well-behaved licensees with and without one
// licensee flooding every custodian from another client address (bench/lib/flood.ts).
// CPU per key counts every process: custodians, the chain node and this one. `--profile DIR`
// writes custodians' --cpu-prof profiles there. Prints a table, then one JSON line.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createPublicClient, createWalletClient, hexToBytes, http, numberToHex, type Address, type Hex } from "viem";
import { generatePrivateKey, mnemonicToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { generateKeyPair, identityFromPrivateKey } from "../crypto/index.js";
import { createChainClient, type ChainClient, type KeyRequest, type ModelVersion } from "../node/chain/index.js";
import { custodyDomain } from "../node/custody/custodian.js";
import { collectKey } from "../node/custody/licensee.js";
import { publishWithCustody } from "../node/custody/owner.js";
import { signRelease } from "../node/custody/protocol.js";
import { StoragePeer } from "../node/storage/storage-peer.js";
import { deploySuite } from "../scripts/deploy-suite.js";
import { startHardhatNode } from "../scripts/lib/hardhat-node.js";
import { ProcessFixture, type Daemon } from "../scripts/lib/processes.js";

const { values } = parseArgs({
  options: {
    concurrency: { type: "string", default: "50" },
    rounds: { type: "string", default: "10" },
    sets: { type: "string", default: "2of3,3of5,5of9" },
    "flood-licensees": { type: "string", default: "10" },
    "flood-in-flight": { type: "string", default: "4" },
    profile: { type: "string" },
  },
});
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const sets = values.sets.split(",").map((s) => s.split("of").map(Number) as [number, number]);
const floodLicensees = Number(values["flood-licensees"]);
const CUSTODIANS = Math.max(...sets.map(([, n]) => n));
const MNEMONIC = "test test test test test test test test test test test junk";
/** Throwaway custodian keystores: the cheapest scrypt cost the keystore accepts. */
const SCRYPT_N = "1024";
/** All the bench's licensees share 127.0.0.1: the per-client limit is raised so it does not cap them (the flooder has its own address). */
const CUSTODIAN_ENV = { MODELVAULT_RELEASE_LIMIT_CLIENT: "100000/100000" };

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ ticks
}
const round1 = (x: number) => Number(x.toFixed(1));
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

const dir = await mkdtemp(join(tmpdir(), "mv-bench-keys-"));
const processes = new ProcessFixture({ MODELVAULT_PASSWORD: "bench password" });
const node = await startHardhatNode();
let ownerPeer: StoragePeer | undefined;
let daemons: Daemon[] = [];
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
  const endpoints: string[] = [];
  daemons = [];
  const profileEnv: Record<string, string> = values.profile === undefined ? {} : { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${values.profile}` };
  for (let i = 0; i < CUSTODIANS; i++) {
    const dataDir = join(dir, `custodian-${i}`);
    const init = await processes.run(["node", "init", "--data-dir", dataDir, "--scrypt-n", SCRYPT_N, "--json"]);
    const { address } = JSON.parse(init.stdout) as { address: Address };
    await fund(address);
    const daemon = await processes.start(
      ["--data-dir", dataDir, "--api-port", "0", "--listen", "/ip4/127.0.0.1/tcp/0", "--peer", ownerPeer.addresses[0]!.toString(), ...chainArgs],
      { ...CUSTODIAN_ENV, ...profileEnv },
    );
    const registered = await processes.run(["custodian", "register", "--data-dir", dataDir, "--stake", "0.1eth", "--endpoint", daemon.started.api, ...chainArgs, "--json"]);
    if (registered.code !== 0) throw new Error(registered.stderr);
    custodians.push(address);
    custodianPids.push(daemon.child.pid!);
    endpoints.push(daemon.started.api);
    daemons.push(daemon);
  }
  const ownerChain = await clientFor(ownerKey);
  const models = new Map<string, { modelId: bigint; commitment: Uint8Array; version: ModelVersion }>();
  for (const [k, n] of sets) {
    const published = await publishWithCustody(ownerPeer, [randomBytes(64 * 1024)], {
      owner: owner.account, chain: ownerChain, custodians: custodians.slice(0, n), threshold: k,
    });
    const modelId = published.chainModelId;
    models.set(`${k}of${n}`, { modelId, commitment: hexToBytes(published.signed.manifest.keyCommitment as Hex), version: (await ownerChain.version(modelId, 1))! });
  }

  // Licensees with licences for every model; tickets are requested before each phase's clock starts.
  const licensees: ChainClient[] = [];
  for (let i = 0; i < Math.max(concurrency, floodLicensees + 1); i++) {
    const key = generatePrivateKey();
    const chain = await clientFor(key);
    await fund(chain.address!);
    for (const { modelId } of models.values()) await ownerChain.grant(modelId, chain.address!);
    licensees.push(chain);
  }
  type Ticket = { ticket: KeyRequest; privateKey: Uint8Array };
  const ticketsFor = async (set: string, who: ChainClient[], count: number): Promise<Ticket[][]> => {
    const { modelId } = models.get(set)!;
    const tickets: Ticket[][] = [];
    for (let r = 0; r < count; r++) {
      tickets.push(await Promise.all(who.map(async (chain) => {
        const recipient = generateKeyPair();
        return { ticket: await chain.requestKey(modelId, recipient.publicKey), privateKey: recipient.privateKey };
      })));
    }
    // The custodians' ticket indexes poll every second: a ticket they have not seen yet is read from the chain.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    return tickets;
  };

  /** Round 0 warms up (JIT, connections) and is not counted; then `count` rounds of every licensee at once. */
  const measure = async (set: string, who: ChainClient[], count: number) => {
    const { modelId, commitment, version } = models.get(set)!;
    const tickets = await ticketsFor(set, who, count + 1);
    const release = async (i: number, r: number) => {
      const { ticket, privateKey } = tickets[r]![i]!;
      const start = performance.now();
      const key = await collectKey({ chain: who[i]!, ticket, modelId, recipientPrivateKey: privateKey, keyCommitment: commitment, version });
      if (key.length !== 32) throw new Error("no key");
      return performance.now() - start;
    };
    await Promise.all(who.map((_, i) => release(i, 0)));
    const latencies: number[] = [];
    const before = { custodians: await Promise.all(custodianPids.map(cpuSeconds)), chain: await cpuSeconds(node.pid), here: process.cpuUsage() };
    const wall = performance.now();
    for (let r = 1; r <= count; r++) latencies.push(...(await Promise.all(who.map((_, i) => release(i, r)))));
    const wallMs = performance.now() - wall;
    const here = process.cpuUsage(before.here);
    const custodianCpu = (await Promise.all(custodianPids.map(cpuSeconds))).reduce((a, b, i) => a + b - before.custodians[i]!, 0);
    const chainCpu = (await cpuSeconds(node.pid)) - before.chain;
    const perKey = (seconds: number) => round1((seconds * 1000) / latencies.length);
    latencies.sort((a, b) => a - b);
    return {
      p50Ms: round1(percentile(latencies, 50)), p90Ms: round1(percentile(latencies, 90)), p99Ms: round1(percentile(latencies, 99)),
      maxMs: round1(latencies.at(-1)!), keysPerS: round1(latencies.length / (wallMs / 1000)), samples: latencies.length,
      cpuMsPerKeyCustodians: perKey(custodianCpu), cpuMsPerKeyChain: perKey(chainCpu), cpuMsPerKeyLicensees: perKey((here.user + here.system) / 1e6),
      cpuMsPerKey: perKey(custodianCpu + chainCpu + (here.user + here.system) / 1e6),
    };
  };

  const headline = sets[0]!.join("of");
  const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
  results[`${headline} x${concurrency}`] = await measure(headline, licensees.slice(0, concurrency), rounds);
  results[`${headline} x1`] = await measure(headline, licensees.slice(0, 1), rounds * 5);
  for (const [k, n] of sets.slice(1)) results[`${k}of${n} x${concurrency}`] = await measure(`${k}of${n}`, licensees.slice(0, concurrency), rounds);

  // Fairness: well-behaved licensees, then the same while another licensee floods every custodian of the set.
  const wellBehaved = licensees.slice(1, floodLicensees + 1);
  results[`${headline} x${floodLicensees}`] = await measure(headline, wellBehaved, rounds * 2);
  const [floodTicket] = (await ticketsFor(headline, [licensees[0]!], 1))[0]!;
  const { modelId: floodModel, version: floodVersion } = models.get(headline)!;
  const floodBody = signRelease(floodTicket!.privateKey, custodyDomain(licensees[0]!), {
    ticketId: floodTicket!.ticket.ticketId, modelId: floodModel.toString(), version: floodTicket!.ticket.version,
  });
  const floodEndpoints = floodVersion.custodians.map((c) => endpoints[custodians.indexOf(c)]!);
  const flooder = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("lib/flood.ts", import.meta.url)),
    JSON.stringify({ endpoints: floodEndpoints, body: floodBody, inFlight: Number(values["flood-in-flight"]), localAddress: "127.0.0.2" })], { stdio: ["ignore", "pipe", "inherit"] });
  let floodOut = "";
  flooder.stdout.on("data", (part: Buffer) => (floodOut += part));
  while (!floodOut.includes("flooding")) await new Promise((resolve) => setTimeout(resolve, 50));
  const floodStart = performance.now();
  results[`${headline} x${floodLicensees} flooded`] = await measure(headline, wellBehaved, rounds * 2);
  const floodSeconds = (performance.now() - floodStart) / 1000;
  flooder.kill("SIGTERM");
  await once(flooder, "exit");
  const flood = JSON.parse(floodOut.split("\n").filter((l) => l.startsWith("{")).at(-1) ?? "{}") as { requests?: number; statuses?: Record<string, number> };

  console.log(`\nkey release: custodians are separate processes on 127.0.0.1, hardhat node RPC, tickets already mined, ${rounds} rounds\n`);
  console.log("phase                    p50 ms   p90 ms   p99 ms   max ms   keys/s  samples   CPU ms/key: custodians  chain  licensees  total");
  for (const [name, r] of Object.entries(results)) {
    console.log(name.padEnd(22) + [r.p50Ms, r.p90Ms, r.p99Ms, r.maxMs, r.keysPerS].map((x) => x.toFixed(1).padStart(9)).join("") + String(r.samples).padStart(9) +
      [r.cpuMsPerKeyCustodians, r.cpuMsPerKeyChain, r.cpuMsPerKeyLicensees, r.cpuMsPerKey].map((x) => x.toFixed(1).padStart(x === r.cpuMsPerKeyCustodians ? 25 : 8)).join(""));
  }
  console.log(`\nflood: ${flood.requests ?? 0} requests in ${floodSeconds.toFixed(1)} s (${Math.round((flood.requests ?? 0) / floodSeconds)}/s) from one licensee at 127.0.0.2, answers ${JSON.stringify(flood.statuses ?? {})}`);
  console.log("goals (2-of-3 x50): CPU per key <= 4 ms, >= 400 keys/s, p50 <= 100 ms, p99 <= 200 ms; one licensee p50 <= 10 ms; flooded p50 within 2x\n");
  const main = results[`${headline} x${concurrency}`]!;
  const figures = {
    ...main,
    concurrency, threshold: sets[0]![0], custodians: sets[0]![1],
    p50MsOneLicensee: results[`${headline} x1`]!.p50Ms,
    ...Object.fromEntries(sets.slice(1).flatMap(([k, n]) => [[`p50Ms${k}of${n}`, results[`${k}of${n} x${concurrency}`]!.p50Ms], [`keysPerS${k}of${n}`, results[`${k}of${n} x${concurrency}`]!.keysPerS]])),
    p50MsUnloaded: results[`${headline} x${floodLicensees}`]!.p50Ms,
    p50MsUnderFlood: results[`${headline} x${floodLicensees} flooded`]!.p50Ms,
    floodRequestsPerS: Math.round((flood.requests ?? 0) / floodSeconds),
    floodRefused: flood.statuses?.["429"] ?? 0,
  };
  console.log(JSON.stringify(figures));
} finally {
  await Promise.all(daemons.map((d) => d.stop("SIGTERM"))); // a clean exit writes --cpu-prof profiles
  await processes.cleanup();
  await ownerPeer?.stop();
  await node.stop();
  await rm(dir, { recursive: true, force: true });
}
