/**
 * A storage peer in its own process, for the bitswap benchmark: serves a data dir and prints
 * its multiaddrs as one JSON line; exits when its stdin closes.
 *   node --import tsx bench/io/serve-peer.ts DATA_DIR
 */
import { StoragePeer } from "../../node/storage/storage-peer.js";

const peer = await StoragePeer.start({ dataDir: process.argv[2]! });
console.log(JSON.stringify({ addresses: peer.addresses.map(String) }));
process.stdin.resume();
process.stdin.on("end", async () => {
  await peer.stop();
  process.exit(0);
});
