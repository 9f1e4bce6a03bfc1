import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { join } from "node:path";
import * as dagJson from "@ipld/dag-json";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { bytesToHex, hexToBytes, type Hex } from "viem";
import { generateKeyPair, WrongKeyError } from "../../crypto/index.js";
import { run } from "../../node/cli/index.js";
import type { ModelVersions } from "../../node/cli/versions-command.js";
import { collectKey } from "../../node/custody/licensee.js";
import { rotateModel } from "../../node/custody/owner.js";
import { PublishJournal } from "../../node/custody/publish-journal.js";
import { startApi, type RunningApi } from "../../node/http/server.js";
import { fetchDirectoryFile, readManifest } from "../../node/models/fetch.js";
import { isDirectoryManifest, type DirectoryManifest, type SignedManifest } from "../../node/models/manifest.js";
import { STORAGE_SEGMENT_SIZE } from "../../node/storage/storage-tree.js";
import { assertBytes, collect } from "../helpers/bytes.js";
import { MemoryIo } from "./fixtures/cli.js";
import { CustodyWorld } from "./fixtures/custody.js";
import { hfDirectory, tarItemsOf, tarOf, writeTree } from "./fixtures/hf-directory.js";
import { rpcBridge } from "./fixtures/rpc-bridge.js";

const SEGMENT = 8192 - 16;

interface Registered {
  manifestCid: string;
  modelId: string;
  version: number;
  key: string;
  files: { path: string; plaintextSize: number }[];
  replayed?: boolean;
}


describe("directory models with custody: register (HTTP tar and CLI), rotate by re-encryption, versions", function () {
  this.timeout(180_000);
  let world: CustodyWorld;
  let api: RunningApi;
  let rpc: { url: string; server: Server };
  let deploymentFile: string;
  let registered: Registered;
  const files = hfDirectory();

  before(async () => {
    world = await CustodyWorld.create({ custodians: 2 });
    const journal = await PublishJournal.open(await world.dataDir());
    api = await startApi({ peer: world.owner.peer, identity: world.owner.identity, chain: world.owner.chain, journal });
    rpc = await rpcBridge(world.connection.provider);
    deploymentFile = join(await world.dataDir(), "deployment.json");
    await writeFile(deploymentFile, JSON.stringify(world.deployment));
  });
  after(async () => {
    await api?.close();
    await new Promise((closed) => rpc?.server.close(closed));
    await world?.cleanup();
  });

  const custodyQuery = () => `register=true&custodians=${world.custodianAddresses.join(",")}&threshold=2&segmentSize=${SEGMENT}&name=tiny-hf`;
  const keyOf = (hex: string) => hexToBytes(hex as Hex);
  async function assertDirectory(signed: SignedManifest, key: Uint8Array, expected: Map<string, Buffer>) {
    assert.ok(isDirectoryManifest(signed.manifest));
    assert.deepEqual(signed.manifest.files.map((f) => f.path), [...expected.keys()]);
    for (const [path, bytes] of expected) {
      assertBytes(await collect(fetchDirectoryFile(world.owner.peer, signed, path, { key })), bytes, path);
    }
  }

  it("POST /v1/models?register=true with a tar: shares with every custodian, one version on chain; a retry replays", async () => {
    const archive = await tarOf(tarItemsOf(files));
    const post = () =>
      fetch(`${api.url}/v1/models?${custodyQuery()}`, {
        method: "POST",
        headers: { "content-type": "application/x-tar", "idempotency-key": "dir-register-1" },
        body: archive,
      });
    const response = await post();
    assert.equal(response.status, 201, await response.clone().text());
    registered = (await response.json()) as Registered;
    assert.equal(registered.version, 1);
    assert.deepEqual(registered.files.map((f) => f.path), [...files.keys()]);

    const signed = await readManifest(world.owner.peer, registered.manifestCid, { expectedOwner: world.owner.identity.address });
    await assertDirectory(signed, keyOf(registered.key), files);
    const onChain = await world.licensee.chain.version(BigInt(registered.modelId), 1);
    assert.equal(onChain?.manifestCid, registered.manifestCid);
    assert.equal(onChain?.storageRoot, signed.manifest.storage.root);
    assert.equal(onChain?.segmentCount, Math.ceil(signed.manifest.sealedSize / STORAGE_SEGMENT_SIZE));
    for (const node of world.custodians) {
      assert.ok(node!.custodian.store.get(registered.manifestCid), "share held");
      assert.ok(await node!.peer.helia.pins.isPinned(CID.parse(registered.manifestCid)), "directory pinned by the custodian");
    }

    // One key for the whole directory: a licensee's ticket gets it from the custodians.
    const modelId = BigInt(registered.modelId);
    await world.owner.chain.grant(modelId, world.licensee.identity.address);
    const recipient = generateKeyPair();
    const ticket = await world.licensee.chain.requestKey(modelId, recipient.publicKey);
    const key = await collectKey({
      chain: world.licensee.chain, ticket, modelId, recipientPrivateKey: recipient.privateKey,
      keyCommitment: hexToBytes(signed.manifest.keyCommitment as Hex),
    });
    assert.equal(bytesToHex(key), registered.key);

    const before = await world.owner.chain.contracts.vault.read.modelCount();
    const retry = await post();
    assert.equal(retry.status, 200);
    const replayed = (await retry.json()) as Registered;
    assert.deepEqual([replayed.replayed, replayed.modelId, replayed.manifestCid], [true, registered.modelId, registered.manifestCid]);
    assert.equal(await world.owner.chain.contracts.vault.read.modelCount(), before, "no second model");
  });

  it("rotation re-encrypts every file from the previous key: new key, same paths and model, version 2", async () => {
    const modelId = BigInt(registered.modelId);
    const previous = (await readManifest(world.owner.peer, registered.manifestCid)) as SignedManifest<DirectoryManifest>;
    const rotated = await rotateModel(world.owner.peer, undefined, {
      owner: world.owner.identity.account, chain: world.owner.chain, chainModelId: modelId, previousKey: keyOf(registered.key), segmentSize: SEGMENT,
    });
    assert.equal(rotated.version, 2);
    assert.equal(rotated.chainModelId, modelId);
    assert.notEqual(bytesToHex(rotated.key), registered.key);
    const signed = rotated.signed as SignedManifest<DirectoryManifest>;
    assert.equal(signed.manifest.modelId, previous.manifest.modelId, "bound to the same model");
    assert.equal(signed.manifest.version, 2);
    assert.deepEqual(signed.manifest.files.map((f) => [f.path, f.plaintextSize]), previous.manifest.files.map((f) => [f.path, f.plaintextSize]));
    await assertDirectory(signed, rotated.key, files);
    await assert.rejects(collect(fetchDirectoryFile(world.owner.peer, signed, "config.json", { key: keyOf(registered.key) })), WrongKeyError);
    assert.equal((await world.licensee.chain.version(modelId, 2))?.manifestCid, rotated.manifestCid.toString());
    assert.equal((await world.licensee.chain.modelState(modelId))?.version, 2);
  });

  it("publish DIR --register and --rotate from the CLI: the directory is the idempotency key's content", async () => {
    const tree = join(await world.dataDir(), "tree");
    await writeTree(tree, files);
    const common = ["--api", api.url, "--segment-size", String(SEGMENT), "--json"];
    const custody = ["--custodians", world.custodianAddresses.join(","), "--threshold", "2"];
    const cli = async (args: string[]) => {
      const io = new MemoryIo();
      const code = await run(args, io);
      assert.equal(code, 0, io.err);
      return io.json<Registered>();
    };
    const first = await cli(["publish", tree, "--register", ...custody, ...common]);
    assert.equal(first.version, 1);
    assert.equal((await cli(["publish", tree, "--register", ...custody, ...common])).replayed, true, "same directory: replayed");

    // A changed file is another publish; --rotate uploads the new files under a fresh key.
    const changed = new Map(files);
    changed.set("config.json", Buffer.from(JSON.stringify({ model_type: "gpt2", n_layer: 3 })));
    await writeFile(join(tree, "config.json"), changed.get("config.json")!);
    await mkdir(join(tree, "extra"), { recursive: true });
    changed.set("extra/notes.txt", randomBytes(100));
    await writeFile(join(tree, "extra/notes.txt"), changed.get("extra/notes.txt")!);
    const rotated = await cli(["publish", tree, "--rotate", first.modelId, ...common]);
    assert.equal(rotated.modelId, first.modelId);
    assert.equal(rotated.version, 2);
    const signed = await readManifest(world.owner.peer, rotated.manifestCid);
    const sorted = new Map([...changed].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    await assertDirectory(signed, keyOf(rotated.key), sorted);
  });

  it("versions MODEL lists every version with its files, reading the chain without a keystore", async () => {
    const modelId = registered.modelId;
    // No password and an empty data dir: the command must not need the keystore.
    const chainArgs = ["--rpc-url", rpc.url, "--deployment", deploymentFile, "--api", api.url, "--data-dir", await world.dataDir()];
    const io = new MemoryIo({});
    assert.equal(await run(["versions", modelId, ...chainArgs, "--json"], io), 0, io.err);
    const listed = io.json<ModelVersions>();
    assert.equal(listed.modelId, modelId);
    assert.equal(listed.owner, world.owner.identity.address);
    assert.deepEqual(listed.versions.map((v) => [v.version, v.current, v.available]), [[1, false, true], [2, true, true]]);
    for (const v of listed.versions) {
      assert.equal(v.kind, "directory");
      assert.deepEqual(v.files?.map((f) => [f.path, f.plaintextSize]), [...files].map(([path, bytes]) => [path, bytes.length]));
      assert.equal(typeof v.publishedBlock, "number");
      assert.ok(v.publishedAt > 1_600_000_000);
      assert.equal((await world.licensee.chain.version(BigInt(modelId), v.version))?.manifestCid, v.manifestCid);
    }
    assert.equal(listed.versions[0]!.manifestCid, registered.manifestCid);

    const text = new MemoryIo({});
    assert.equal(await run(["versions", modelId, ...chainArgs], text), 0, text.err);
    assert.match(text.out, new RegExp(`^model ${modelId}  owner 0x[0-9a-fA-F]{40}  active, 2 versions$`, "m"));
    assert.match(text.out, /^version 1 {2}bag\S+ {2}\d{4}-\d\d-\d\dT\S+Z \(block \d+\)$/m);
    assert.match(text.out, /^version 2 \(current\) {2}bag/m);
    assert.match(text.out, new RegExp(`^  model-00001-of-00002\\.safetensors\\s+${files.get("model-00001-of-00002.safetensors")!.length} bytes$`, "m"));
    assert.match(text.out, /^ {2}7 files, \d+ bytes {2}\(tiny-hf\)$/m);
  });

  it("a version whose manifest cannot be read is listed as unavailable, not a failure", async () => {
    const bytes = dagJson.encode({ not: "stored anywhere", nonce: bytesToHex(randomBytes(8)) });
    const missing = CID.createV1(dagJson.code, await sha256.digest(bytes)).toString();
    const { modelId } = await world.owner.chain.registerModel(
      { manifestCid: missing, weightsCommitment: 0n, ownerCommitment: 0n, storageRoot: bytesToHex(randomBytes(32)), segmentCount: 1, custodians: world.custodianAddresses, threshold: 2 },
      { price: 0n, duration: 0, maxUses: 0, minStake: 0n, carryOver: false },
    );
    const io = new MemoryIo({});
    const chainArgs = ["--rpc-url", rpc.url, "--deployment", deploymentFile, "--api", api.url, "--data-dir", await world.dataDir()];
    const args = ["versions", String(modelId), ...chainArgs, "--timeout", "300", "--json"];
    assert.equal(await run(args, io), 0, io.err);
    const [only] = io.json<ModelVersions>().versions;
    assert.equal(only?.available, false);
    assert.equal(only?.error?.code, "CONTENT_NOT_FOUND");
    assert.equal(only?.manifestCid, missing);

    const unknown = new MemoryIo({});
    assert.equal(await run(["versions", "999", ...chainArgs], unknown), 2);
    assert.match(unknown.err, /model 999 is not registered/);
  });
});
