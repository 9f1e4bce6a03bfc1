/**
 * The SDK's whole licensee path against a real setup in this process: Hardhat's EVM with the
 * contract suite, 3 custodian nodes (Helia peers with their HTTP APIs, registered and staked), an
 * owner who publishes with custody. The SDK gets only viem clients on the same chain (an
 * EIP-1193 provider, as a browser wallet gives) and a node URL.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { createPublicClient, createWalletClient, custom, defineChain, http, type Address, type Chain } from "viem";
import { sepolia } from "viem/chains";
import { ownerCommitment, ownershipCalldata, proveOwnership, randomOwnerSecret } from "../../zkp/ownership.js";
import { proveInference } from "../../zkp/inference.js";
import { proveWellFormed, wellFormedCalldata } from "../../zkp/wellformed.js";
import { loadIrisModel } from "../../zkp/models.js";
import { quantizeInput } from "../../zkp/quantize.js";
import { weightsCommitment as irisCommitment } from "../../zkp/commitment.js";
import { terminateCurve } from "../../zkp/curve.js";
import { publishWithCustody, type CustodyPublishResult } from "../../node/custody/owner.js";
import { publishDirectory } from "../../node/models/publish-directory.js";
import { setInferenceVerifier } from "../../node/chain/verifiers.js";
import { createModelvaultClient, groth16Calldata, type ModelvaultClient } from "../../sdk/index.js";
import { assertSdkCode } from "../helpers/sdk-errors.js";
import { assertBytes } from "../helpers/bytes.js";
import { CustodyWorld, identityAt } from "../node/fixtures/custody.js";

after(terminateCurve);

const PRICE = 10n ** 15n;

/** A ReadableStream's bytes. */
async function drain(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) parts.push(next.value);
  return Buffer.concat(parts);
}

describe("sdk: buy, ticket, custodians, fetch and decrypt against a real in-process setup", function () {
  this.timeout(240_000);
  let world: CustodyWorld;
  let model: Uint8Array;
  let published: CustodyPublishResult;
  let sdk: ModelvaultClient;
  let chain: Chain;
  let licensee: Address;
  const ownerSecret = randomOwnerSecret();
  let weights: bigint;

  before(async () => {
    world = await CustodyWorld.create({ custodians: 3 });
    model = randomBytes(300_000);
    weights = await irisCommitment(loadIrisModel());
    published = await publishWithCustody(world.owner.peer, [model], {
      owner: world.owner.identity.account,
      chain: world.owner.chain,
      custodians: world.custodianAddresses,
      threshold: 2,
      terms: { price: PRICE, duration: 0, maxUses: 0, minStake: 0n, carryOver: false },
      segmentSize: 64 * 1024 - 16,
      weightsCommitment: weights.toString(),
      ownerCommitment: await ownerCommitment(weights, ownerSecret),
    });
    // What a dApp has: the wallet's EIP-1193 provider and its account (a JSON-RPC account).
    chain = defineChain({ id: world.deployment.chainId, name: "hardhat", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [] } } });
    const transport = custom(world.connection.provider, { retryCount: 0 });
    licensee = identityAt(10).address;
    sdk = createModelvaultClient({
      publicClient: createPublicClient({ chain, transport, pollingInterval: 20 }),
      walletClient: createWalletClient({ account: licensee, chain, transport, pollingInterval: 20 }),
      deployment: world.deployment,
      nodeUrl: world.custodians[0]!.api.url,
    });
  });
  after(() => world?.cleanup());

  it("buys at the exact price, requests a ticket, collects the key from 2 of 3 custodians, fetches and decrypts: the same bytes", async () => {
    const modelId = published.chainModelId;
    const info = await sdk.getModel(modelId);
    assert.equal(info.terms.price, PRICE);
    assert.equal(info.owner, world.owner.identity.address);
    assert.equal(await sdk.hasAccess(modelId), false);

    const publicClient = createPublicClient({ chain, transport: custom(world.connection.provider) });
    const before = await publicClient.getBalance({ address: licensee });
    const purchase = await sdk.buyLicence(modelId);
    assert.equal(purchase.price, PRICE);
    assert.equal(purchase.version, 1);
    const receipt = await publicClient.getTransactionReceipt({ hash: purchase.txHash });
    assert.equal(before - (await publicClient.getBalance({ address: licensee })), PRICE + receipt.gasUsed * receipt.effectiveGasPrice);
    assert.equal(await sdk.hasAccess(modelId), true);

    const ticket = await sdk.requestTicket(modelId);
    assert.match(ticket.ticketId, /^0x[0-9a-f]{64}$/);
    assert.equal(ticket.version, 1);
    assert.equal(ticket.recipientPrivateKey.length, 32);
    const onChain = await world.licensee.chain.ticket(ticket.ticketId);
    assert.equal(onChain?.recipientKey, ticket.recipientPublicKey);
    assert.equal(onChain?.licensee, licensee);

    const collected = await sdk.collectKey({ modelId, ticket });
    assertBytes(collected.key, published.key, "content key");
    assert.equal(collected.manifestCid, published.manifestCid.toString());

    // Through any node holding the content: every custodian pinned it at deposit.
    let progress = 0;
    const data = await sdk.fetchModel(collected.manifestCid, collected.key, { onProgress: (p) => (progress = p.plaintextBytes) });
    assertBytes(data, model, "decrypted model");
    assert.equal(progress, model.length);

    const other = createModelvaultClient({
      publicClient: createPublicClient({ chain, transport: custom(world.connection.provider) }),
      deployment: world.deployment,
      nodeUrl: world.custodians[2]!.api.url,
    });
    const { manifest, stream } = await other.fetchModelStream(collected.manifestCid, collected.key, { expectedOwner: info.owner });
    assert.equal(manifest.plaintextSize, model.length);
    assertBytes(await drain(stream), model, "streamed model");
    // Reading needs no wallet; sending does.
    await assertSdkCode(other.buyLicence(modelId), "NO_ACCOUNT");
  });

  it("accessModel({buy: true}) with a local account: the whole path in one call", async () => {
    const account = identityAt(11).account;
    const transport = custom(world.connection.provider, { retryCount: 0 });
    const local = createModelvaultClient({
      publicClient: createPublicClient({ chain, transport, pollingInterval: 20 }),
      walletClient: createWalletClient({ account, chain, transport, pollingInterval: 20 }),
      deployment: world.deployment,
      nodeUrl: world.custodians[1]!.api.url,
    });
    const result = await local.accessModel(published.chainModelId, { buy: true });
    assertBytes(result.data, model);
    assert.equal(result.purchase?.price, PRICE);
    assert.equal(result.version, 1);
    // Already licensed: no second purchase.
    const again = await local.accessModel(published.chainModelId, { buy: true });
    assert.equal(again.purchase, undefined);
    assertBytes(again.data, model);
  });

  it("reads one file of a directory model (its per-file key), and says what to do without `file`", async () => {
    const files = new Map([["config.json", Buffer.from('{"model_type":"gpt2"}')], ["weights/model.safetensors", randomBytes(70_000)]]);
    const directory = await publishDirectory(world.custodians[0]!.peer, [...files].map(([path, bytes]) => ({ path, source: [bytes] })), {
      owner: world.owner.identity.account,
      segmentSize: 16 * 1024 - 16,
    });
    const cid = directory.manifestCid.toString();
    for (const [path, bytes] of files) assertBytes(await sdk.fetchModel(cid, directory.key, { file: path }), bytes, path);
    const streamed = await sdk.fetchModelStream(cid, directory.key, { file: "weights/model.safetensors" });
    const pieces: Uint8Array[] = [];
    for await (const piece of streamed.stream as unknown as AsyncIterable<Uint8Array>) pieces.push(piece);
    assertBytes(Buffer.concat(pieces), files.get("weights/model.safetensors")!, "streamed");
    await assertSdkCode(sdk.fetchModel(cid, directory.key), "NOT_A_FILE");
    await assertSdkCode(sdk.fetchModel(cid, directory.key, { file: "missing.json" }), "INVALID_ARGUMENT");
    await assertSdkCode(sdk.fetchModel(published.manifestCid.toString(), published.key, { file: "config.json" }), "INVALID_ARGUMENT");
  });

  it("without WebCrypto (a non-secure page), accessModel and requestTicket fail with NO_WEBCRYPTO before buying or spending", async () => {
    const account = identityAt(12).address;
    const transport = custom(world.connection.provider, { retryCount: 0 });
    const insecure = createModelvaultClient({
      publicClient: createPublicClient({ chain, transport, pollingInterval: 20 }),
      walletClient: createWalletClient({ account, chain, transport, pollingInterval: 20 }),
      deployment: world.deployment,
      nodeUrl: world.custodians[0]!.api.url,
    });
    const publicClient = createPublicClient({ chain, transport });
    const balance = await publicClient.getBalance({ address: account });
    const webCrypto = Object.getOwnPropertyDescriptor(globalThis, "crypto")!;
    Object.defineProperty(globalThis, "crypto", { value: {}, configurable: true });
    try {
      await assertSdkCode(insecure.accessModel(published.chainModelId, { buy: true }), "NO_WEBCRYPTO");
      await assertSdkCode(insecure.requestTicket(published.chainModelId), "NO_WEBCRYPTO");
    } finally {
      Object.defineProperty(globalThis, "crypto", webCrypto);
    }
    assert.equal(await insecure.hasAccess(published.chainModelId), false, "no licence was bought");
    assert.equal(await publicClient.getBalance({ address: account }), balance, "nothing was spent, not even gas");
  });

  it("fewer than k releases: NOT_ENOUGH_SHARES naming each custodian's refusal", async () => {
    const modelId = published.chainModelId;
    const ticket = await sdk.requestTicket(modelId);
    const first = await sdk.collectKey({ modelId, ticket, hedgeMs: 60_000 }); // exactly 2 custodians release
    // Asking again with the same ticket (a lost answer, or someone's replay) gets the same shares.
    assertBytes((await sdk.collectKey({ modelId, ticket, hedgeMs: 0 })).key, first.key, "the same key again");
    // Signed with another key than the ticket's: every custodian refuses.
    const forged = await sdk.requestTicket(modelId);
    const stranger = randomBytes(32);
    stranger[0] = 1; // a valid scalar
    await assertSdkCode(sdk.collectKey({ modelId, ticket: { ...forged, recipientPrivateKey: stranger }, hedgeMs: 0 }), "NOT_ENOUGH_SHARES", (e) => {
      const reasons = Object.values(e.details.failures ?? {});
      assert.equal(reasons.length, 3);
      for (const r of reasons) assert.match(r, /^WRONG_RECIPIENT/);
    });
    // No licence left to use? This one has unlimited uses; an unknown model is refused by the chain.
    await assertSdkCode(sdk.requestTicket(999n), "CHAIN_REVERT", (e) => assert.ok(e.details.errorName));
    await assertSdkCode(sdk.getModel(999n), "UNKNOWN_MODEL");
  });

  it("checks what the node sends: wrong key, a lying node (manifest, flipped byte, cut short), unknown CID", async () => {
    const cid = published.manifestCid.toString();
    await assertSdkCode(sdk.fetchModel(cid, randomBytes(32)), "WRONG_KEY");
    const key = published.key;
    const via = (rewrite: (url: string, response: Response) => Promise<Response>) =>
      createModelvaultClient({
        publicClient: createPublicClient({ chain, transport: custom(world.connection.provider) }),
        deployment: world.deployment,
        nodeUrl: world.custodians[0]!.api.url,
        fetch: async (input, init) => rewrite(String(input), await fetch(input, init)),
      });
    const tamperContent = (edit: (bytes: Uint8Array) => Uint8Array) =>
      via(async (url, response) => (url.includes("/v1/content/") ? new Response(edit(new Uint8Array(await response.arrayBuffer())), { status: 200 }) : response));

    const flipped = tamperContent((bytes) => {
      bytes[112 + 3 * 65536 + 10]! ^= 1;
      return bytes;
    });
    await assertSdkCode(flipped.fetchModel(cid, key), "SEALED_SEGMENT_AUTH", (e) => assert.equal(e.details.segment, 3));
    await assertSdkCode(tamperContent((bytes) => bytes.subarray(0, 112 + 2 * 65536)).fetchModel(cid, key), "SEALED_TRUNCATED");
    await assertSdkCode(tamperContent((bytes) => bytes.subarray(0, 112 + 2 * 65536 + 100)).fetchModel(cid, key), "SEALED_SEGMENT_AUTH");

    // A stream that fails mid-way errors the ReadableStream; nothing after the bad segment.
    const { stream } = await flipped.fetchModelStream(cid, key);
    await assertSdkCode(drain(stream), "SEALED_SEGMENT_AUTH");

    const otherManifest = via(async (url, response) => (url.includes("/v1/manifests/") ? new Response(new TextEncoder().encode('{"manifest":{}}')) : response));
    await assertSdkCode(otherManifest.fetchModel(cid, key), "INVALID_MANIFEST");
    await assertSdkCode(sdk.fetchModel(cid, key, { expectedOwner: licensee }), "INVALID_MANIFEST");
    const unknown = CID.createV1(0x0129, await sha256.digest(randomBytes(64))).toString(); // a manifest nobody has
    await assertSdkCode(sdk.fetchModel(unknown, key, { timeoutMs: 300 }), "CONTENT_NOT_FOUND");
    await assertSdkCode(sdk.fetchModel("not-a-cid", key), "INVALID_ARGUMENT");
    const down = createModelvaultClient({
      publicClient: createPublicClient({ chain, transport: custom(world.connection.provider) }),
      deployment: world.deployment,
      nodeUrl: "http://127.0.0.1:1",
    });
    await assertSdkCode(down.fetchModel(cid, key), "NODE_UNAVAILABLE");
  });

  it("verifies ownership proofs off chain (snarkjs) and on chain (the deployed verifier), against the registered commitments", async () => {
    const modelId = published.chainModelId;
    const claimant = world.owner.identity.address;
    const proof = await proveOwnership({ weightsCommitment: weights, ownerSecret, claimant, modelId, nonce: 1n });
    const verificationKey = JSON.parse(readFileSync("build/circuits/ownership/verification_key.json", "utf8"));
    assert.deepEqual(groth16Calldata(proof.proof, proof.publicSignals), ownershipCalldata(proof));

    const offChain = await sdk.verifyProof({ kind: "ownership", proof: proof.proof, publicSignals: proof.publicSignals, modelId, claimant, verificationKey });
    assert.deepEqual(offChain, { valid: true, method: "snarkjs" });
    assert.ok(world.deployment.contracts.OwnershipVerifier, "the suite deploys the OwnershipVerifier");
    const onChain = await sdk.verifyProof({ kind: "ownership", proof: proof.proof, publicSignals: proof.publicSignals.map(String), modelId });
    assert.deepEqual(onChain, { valid: true, method: "verifier-contract", verifier: world.deployment.contracts.OwnershipVerifier });

    for (let i = 0; i < 5; i++) {
      const signals = [...proof.publicSignals];
      signals[i] = signals[i]! + 1n;
      const off = await sdk.verifyProof({ kind: "ownership", proof: proof.proof, publicSignals: signals, verificationKey });
      const on = await sdk.verifyProof({ kind: "ownership", proof: proof.proof, publicSignals: signals });
      assert.equal(off.valid, false, `off chain, signal ${i}`);
      assert.equal(on.valid, false, `on chain, signal ${i}`);
    }
    // Signals >= the field modulus are refused, not reduced (snarkjs alone would reduce them).
    const wrapped = [...proof.publicSignals];
    wrapped[4] = wrapped[4]! + 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
    assert.equal((await sdk.verifyProof({ kind: "ownership", proof: proof.proof, publicSignals: wrapped, verificationKey })).valid, false);
    // A valid proof for another model, or another claimant, does not count for this one.
    const mismatch = await sdk.verifyProof({ kind: "ownership", proof: proof.proof, publicSignals: proof.publicSignals, modelId, claimant: licensee, verificationKey });
    assert.equal(mismatch.valid, false);
    assert.match(mismatch.reason ?? "", /claimant/);
    const elsewhere = await proveOwnership({ weightsCommitment: weights, ownerSecret, claimant, modelId: modelId + 1n, nonce: 1n });
    const wrongModel = await sdk.verifyProof({ kind: "ownership", proof: elsewhere.proof, publicSignals: elsewhere.publicSignals, modelId, verificationKey });
    assert.equal(wrongModel.valid, false);
    assert.match(wrongModel.reason ?? "", /model/);
    assert.equal((await sdk.verifyProof({ kind: "ownership", proof: { pi_a: [], pi_b: [], pi_c: [] }, publicSignals: proof.publicSignals })).valid, false);
  });

  it("verifies an inference proof off chain against the registered weights commitment, once the version is attested well-formed", async () => {
    const iris = loadIrisModel();
    const inference = await proveInference(iris, quantizeInput(iris.spec, [6.7, 3.0, 5.2, 2.3]));
    const verificationKey = JSON.parse(readFileSync(`build/circuits/${inference.circuit}/verification_key.json`, "utf8"));
    const modelId = published.chainModelId;
    // Until the version is attested well-formed, an inference proof of it proves nothing.
    const unattested = await sdk.verifyProof({ kind: "inference", proof: inference.proof, publicSignals: inference.publicSignals, modelId, verificationKey });
    assert.equal(unattested.valid, false);
    assert.match(unattested.reason ?? "", /not attested well-formed/);
    const chain = world.owner.chain;
    await chain.write("attestations", "setWellFormedVerifier", [modelId, chain.deployment.wellFormedVerifiers!.inference_4_16_3!]);
    await chain.write("attestations", "attestWellFormed", [modelId, ...wellFormedCalldata(await proveWellFormed(iris))]);
    const good = await sdk.verifyProof({ kind: "inference", proof: inference.proof, publicSignals: inference.publicSignals, modelId, verificationKey });
    assert.deepEqual(good, { valid: true, method: "snarkjs" });
    const forged = [...inference.publicSignals];
    forged[2] = forged[2]! + 1n;
    assert.equal((await sdk.verifyProof({ kind: "inference", proof: inference.proof, publicSignals: forged, verificationKey })).valid, false);
    // No inference verifier was set for this model: on chain there is nothing to ask.
    await assertSdkCode(sdk.verifyProof({ kind: "inference", proof: inference.proof, publicSignals: inference.publicSignals, modelId }), "NO_VERIFIER");
  });

  it("verifies argmax and committed proofs off chain and through the model's verifier of their variant", async () => {
    const iris = loadIrisModel();
    const x = quantizeInput(iris.spec, [6.7, 3.0, 5.2, 2.3]);
    const modelId = published.chainModelId;
    for (const reveal of ["argmax", "committed"] as const) {
      const p = await proveInference(iris, x, { reveal });
      const verificationKey = JSON.parse(readFileSync(`build/circuits/${p.circuit}/verification_key.json`, "utf8"));
      assert.deepEqual(await sdk.verifyProof({ kind: "inference", reveal, proof: p.proof, publicSignals: p.publicSignals, modelId, verificationKey }), { valid: true, method: "snarkjs" });
      const longer = await sdk.verifyProof({ kind: "inference", reveal, proof: p.proof, publicSignals: [...p.publicSignals, 0n], verificationKey });
      assert.match(longer.reason ?? "", new RegExp(`a ${reveal} inference proof has 3 public signals`));
      await assertSdkCode(sdk.verifyProof({ kind: "inference", reveal, proof: p.proof, publicSignals: p.publicSignals, modelId }), "NO_VERIFIER");
      const address = world.deployment.inferenceVerifiers?.[p.circuit];
      assert.ok(address, `the suite deploys ${p.circuit}'s verifier`);
      await setInferenceVerifier(world.owner.chain, modelId, { architecture: p.circuit });
      assert.deepEqual(await sdk.verifyProof({ kind: "inference", reveal, proof: p.proof, publicSignals: p.publicSignals, modelId }), { valid: true, method: "verifier-contract", verifier: address });
      const forged = [...p.publicSignals];
      forged[2] = forged[2]! + 1n;
      assert.equal((await sdk.verifyProof({ kind: "inference", reveal, proof: p.proof, publicSignals: forged, modelId })).valid, false);
    }
  });

  it("takes Hardhat's viem clients and viem's chain definitions as they come (typed)", async () => {
    const hardhatClient = createModelvaultClient({
      publicClient: await world.connection.viem.getPublicClient(),
      walletClient: (await world.connection.viem.getWalletClients())[12],
      deployment: world.deployment,
      nodeUrl: world.custodians[0]!.api.url,
    });
    assert.equal((await hardhatClient.getModel(published.chainModelId)).version, 1);
    assert.equal(await hardhatClient.hasAccess(published.chainModelId), false);
    // Compile-time only: a wagmi-style setup on a public chain type-checks.
    const _typed = () =>
      createModelvaultClient({
        publicClient: createPublicClient({ chain: sepolia, transport: http() }),
        walletClient: createWalletClient({ chain: sepolia, transport: custom({ request: async () => null }), account: licensee }),
        deployment: world.deployment,
        nodeUrl: "https://node.example",
      });
    assert.equal(typeof _typed, "function");
  });

  it("refuses a public client on another chain than the deployment's", async () => {
    const wrong = createModelvaultClient({
      publicClient: createPublicClient({ chain, transport: custom(world.connection.provider) }),
      deployment: { ...world.deployment, chainId: 1 },
      nodeUrl: world.custodians[0]!.api.url,
    });
    await assertSdkCode(wrong.getModel(published.chainModelId), "CHAIN_MISMATCH");
  });
});
