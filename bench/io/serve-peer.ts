/**
 * A serving peer in its own process: a data dir's blocks over bitswap and over the trustless
 * gateway of its HTTP API. Counts the bytes it reads from its blockstore to serve (what it sent).
 *   node --import tsx bench/io/serve-peer.ts '{"dataDir": "...", "listen": "/ip4/127.0.0.1/tcp/0"}'
 * Prints {"event":"ready","addresses":[...],"api":URL}; on "stats" prints
 * {"event":"stats","peakRssMiB","servedBytes"}; "reset" zeroes both; exits when stdin closes.
 */
import { generatePrivateKey } from "viem/accounts";
import { hexToBytes } from "viem";
import { identityFromPrivateKey } from "../../crypto/index.js";
import { startApi } from "../../node/http/server.js";
import { FastFsBlockstore } from "../../node/storage/blockstore.js";
import { StoragePeer } from "../../node/storage/storage-peer.js";
import { commands, emit, rssSampler } from "./child.js";

const config = JSON.parse(process.argv[2]!) as { dataDir: string; listen?: string };
let servedBytes = 0;
// Counting reads of whole blocks: every block served (bitswap or gateway) is read once here.
const get = FastFsBlockstore.prototype.get;
FastFsBlockstore.prototype.get = async function* (this: FastFsBlockstore, ...args: Parameters<typeof get>) {
  for await (const chunk of get.apply(this, args)) {
    servedBytes += chunk.length;
    yield chunk;
  }
};

const rss = rssSampler();
const peer = await StoragePeer.start({ dataDir: config.dataDir, listen: [config.listen ?? "/ip4/127.0.0.1/tcp/0"] });
const api = await startApi({ peer, identity: identityFromPrivateKey(hexToBytes(generatePrivateKey())), port: 0 });
emit("ready", { addresses: peer.addresses.map(String), api: api.url, peerId: peer.peerId });
/** MV_BENCH_PROFILE=DIR: a CPU profile from each "reset" to the next "stats" goes to DIR. */
const profileDir = process.env.MV_BENCH_PROFILE;
const inspector = profileDir === undefined ? undefined : new (await import("node:inspector/promises")).Session();
inspector?.connect();
await commands(async (line) => {
  if (line === "stats") {
    if (inspector !== undefined) {
      const { profile } = await inspector.post("Profiler.stop");
      const { writeFile } = await import("node:fs/promises");
      await writeFile(`${profileDir}/serve-${process.pid}-${Date.now()}.cpuprofile`, JSON.stringify(profile));
    }
    emit("stats", { peakRssMiB: rss.peakMiB(), servedBytes });
  }
  if (line === "reset") {
    rss.reset();
    servedBytes = 0;
    await inspector?.post("Profiler.enable");
    await inspector?.post("Profiler.start");
  }
});
await api.close();
await peer.stop();
process.exit(0);
