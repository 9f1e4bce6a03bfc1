/**
 * The peer's libp2p identity: an Ed25519 key kept in the data dir, so the PeerId is stable
 * across restarts. Written once, readable only by the owner.
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

export async function loadOrCreatePeerKey(path: string): Promise<PrivateKey> {
  try {
    return privateKeyFromProtobuf(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const key = await generateKeyPair("Ed25519");
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, privateKeyToProtobuf(key), { mode: 0o600 });
  await rename(temp, path);
  return key;
}
