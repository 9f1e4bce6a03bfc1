/**
 * Publishing for a wallet-owned model: a real owner's node (its own account is NOT the owner),
 * three real custodian nodes, Hardhat's EVM in-process; the "wallet" is a viem local account used
 * only through the SDK's wallet-client path. The node seals, the wallet signs the manifest and
 * every deposit and sends registerModel; a licensee then buys and decrypts the same bytes.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createPublicClient, createWalletClient, custom, defineChain, type Address, type Chain, type Hex, type LocalAccount } from "viem";
import { depositTypedData } from "../../crypto/custody-messages.js";
import { manifestFromJson } from "../../crypto/manifest-schema.js";
import { manifestTypedData } from "../../crypto/manifest-signature.js";
import { readManifest } from "../../node/models/fetch.js";
import { startApi, type RunningApi } from "../../node/http/server.js";
import { addPin, listPins } from "../../node/storage/pins.js";
import { DIRECTORY_MANIFEST_FORMAT } from "../../crypto/manifest-schema.js";
import { createModelvaultClient, type ModelvaultClient } from "../../sdk/index.js";
import { assertSdkCode } from "../helpers/sdk-errors.js";
import { CustodyWorld, identityAt } from "../node/fixtures/custody.js";
import { hfDirectory, tarItemsOf, tarOf } from "../node/fixtures/hf-directory.js";

const PRICE = 10n ** 15n;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("sdk: publish from a wallet through a node (publish sessions)", function () {
  this.timeout(240_000);
  let world: CustodyWorld;
  let api: RunningApi;
  let chain: Chain;
  let wallet: LocalAccount;
  let owner: ModelvaultClient;
  const stops: (() => Promise<unknown>)[] = [];

  const clientFor = (account: LocalAccount | Address, nodeUrl: string) => {
    const transport = custom(world.connection.provider, { retryCount: 0 });
    return createModelvaultClient({
      publicClient: createPublicClient({ chain, transport, pollingInterval: 20 }),
      walletClient: createWalletClient({ account, chain, transport, pollingInterval: 20 }),
      deployment: world.deployment,
      nodeUrl,
    });
  };

  async function post(base: string, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(new URL(path, base), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }
  async function openRaw(base: string, account: Address, bytes: Uint8Array) {
    const query = new URLSearchParams({ owner: account, custodians: world.custodianAddresses.join(","), threshold: "2" });
    const response = await fetch(`${base}/v1/models?${query}`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: bytes });
    const json = (await response.json()) as Record<string, unknown>;
    assert.equal(response.status, 201, JSON.stringify(json));
    return json as { session: string; manifest: unknown; key: Hex };
  }
  const errorCode = (answer: { json: Record<string, unknown> }) => (answer.json.error as { code: string }).code;

  before(async () => {
    world = await CustodyWorld.create({ custodians: 3 });
    // The owner's node sends from its own account (index 1); the wallet is another one.
    api = await startApi({ peer: world.owner.peer, identity: world.owner.identity, chain: world.owner.chain, host: "127.0.0.1", port: 0 });
    stops.push(() => api.close());
    chain = defineChain({ id: world.deployment.chainId, name: "hardhat", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [] } } });
    wallet = identityAt(16).account;
    owner = clientFor(wallet, api.url);
  });
  after(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await world?.cleanup();
  });

  it("seals on the node, signs and registers from the wallet; a licensee buys, collects k shares and decrypts the same bytes", async () => {
    const model = randomBytes(200_000);
    const session = await owner.openPublishSession(model, { custodians: world.custodianAddresses, threshold: 2, terms: { price: PRICE }, segmentSize: 64 * 1024 - 16 });
    assert.equal(session.manifest.owner, wallet.address);
    assert.equal(session.key.length, 32);
    assert.match(session.ownerSecret ?? "", /^[0-9]+$/);
    const deposited = await owner.signPublishSession(session);
    assert.deepEqual(deposited.custodians, world.custodianAddresses);
    const published = await owner.registerPublished(deposited);
    assert.deepEqual([published.version, published.replayed], [1, false]);
    // A retry (the page reloaded after sending) sends nothing: the chain has it.
    const again = await owner.registerPublished(deposited);
    assert.deepEqual([again.modelId, again.replayed, again.txHash], [published.modelId, true, null]);

    const info = await owner.getModel(published.modelId);
    assert.equal(info.owner, wallet.address, "the chain's owner is the wallet");
    assert.equal(info.terms.price, PRICE);
    const signed = await readManifest(world.owner.peer, published.manifestCid, { expectedOwner: wallet.address });
    assert.equal(signed.manifest.owner, wallet.address, "the manifest's owner (and signer) is the wallet");
    // The session's pins became an ordinary manifest pin; the node learns the model id from the chain.
    const pins = await listPins(world.owner.peer);
    assert.deepEqual(pins.filter((p) => p.cid === published.manifestCid).map((p) => p.metadata.kind), ["manifest"]);
    assert.equal(pins.filter((p) => p.metadata.kind === "publish-session").length, 0);
    const status = (await (await fetch(`${api.url}/v1/publish-sessions/${session.session}`)).json()) as { registered: { modelId: string; version: number } };
    assert.deepEqual(status.registered, { modelId: published.modelId.toString(), version: 1 });

    const licensee = clientFor(identityAt(17).account, world.custodians[1]!.api.url);
    await licensee.buyLicence(published.modelId);
    const ticket = await licensee.requestTicket(published.modelId);
    const { key, manifestCid } = await licensee.collectKey({ modelId: published.modelId, ticket });
    assert.equal(manifestCid, published.manifestCid);
    const data = await licensee.fetchModel(manifestCid, key, { expectedOwner: wallet.address });
    assert.equal(sha256(data), sha256(model));
  });

  it("refuses a malformed signature, another account's, the wrong step and a second use, with typed errors", async () => {
    const stranger = identityAt(18).account;
    const opened = await openRaw(api.url, wallet.address, randomBytes(50_000));
    const checked = manifestFromJson(opened.manifest);
    assert.ok(checked.ok);
    const path = `/v1/publish-sessions/${opened.session}`;
    assert.equal(errorCode(await post(api.url, `${path}/deposit-signatures`, { signatures: [`0x${"11".repeat(65)}`] })), "SESSION_STAGE");
    const malformed = await post(api.url, `${path}/manifest-signature`, { signature: `0x${"00".repeat(65)}` });
    assert.deepEqual([malformed.status, errorCode(malformed)], [400, "INVALID_SIGNATURE"]);
    const byStranger = await post(api.url, `${path}/manifest-signature`, { signature: await stranger.signTypedData(manifestTypedData(checked.manifest)) });
    assert.deepEqual([byStranger.status, errorCode(byStranger)], [422, "WRONG_SIGNER"]);
    assert.match((byStranger.json.error as { message: string }).message, new RegExp(stranger.address));

    // The owner's signature: one deposit to sign per custodian, the same answer when posted twice.
    const signature = await wallet.signTypedData(manifestTypedData(checked.manifest));
    const signed = await post(api.url, `${path}/manifest-signature`, { signature });
    assert.equal(signed.status, 200, JSON.stringify(signed.json));
    assert.deepEqual(await post(api.url, `${path}/manifest-signature`, { signature }), signed);
    const deposits = signed.json.deposits as { custodian: Address; wrappedShare: Hex }[];
    const domain = { chainId: world.deployment.chainId, vault: world.deployment.contracts.ModelVault };
    const typed = deposits.map((d) => depositTypedData(domain, { manifestCid: signed.json.manifestCid as string, custodian: d.custodian, wrappedShare: d.wrappedShare }));
    const mixed = [await wallet.signTypedData(typed[0]!), await stranger.signTypedData(typed[1]!), await wallet.signTypedData(typed[2]!)];
    const wrongDeposit = await post(api.url, `${path}/deposit-signatures`, { signatures: mixed });
    assert.deepEqual([wrongDeposit.status, errorCode(wrongDeposit)], [422, "WRONG_SIGNER"]);
    assert.equal(errorCode(await post(api.url, `${path}/deposit-signatures`, { signatures: mixed.slice(0, 2) })), "INVALID_SIGNATURE");
    const good = await Promise.all(typed.map((t) => wallet.signTypedData(t)));
    const done = await post(api.url, `${path}/deposit-signatures`, { signatures: good });
    assert.equal(done.status, 200, JSON.stringify(done.json));
    assert.equal((done.json.call as { functionName: string }).functionName, "registerModel");
    const again = await post(api.url, `${path}/deposit-signatures`, { signatures: good });
    assert.deepEqual([again.status, errorCode(again)], [409, "SESSION_USED"]);
    const unknown = await post(api.url, `/v1/publish-sessions/${"ab".repeat(16)}/manifest-signature`, { signature });
    assert.deepEqual([unknown.status, errorCode(unknown)], [404, "UNKNOWN_SESSION"]);
    // The SDK refuses a session of another account before the wallet signs anything.
    const other = await owner.openPublishSession(randomBytes(10_000), { custodians: world.custodianAddresses, threshold: 2 });
    await assertSdkCode(clientFor(stranger, api.url).signPublishSession(other), "INVALID_ARGUMENT");
  });

  it("an expired session is refused and its upload unpinned; sessions are bounded in number", async () => {
    const peer = world.licensee.peer;
    const short = await startApi({ peer, identity: world.licensee.identity, chain: world.licensee.chain, host: "127.0.0.1", port: 0, publishSessions: { lifetimeMs: 400, maxSessions: 1 } });
    stops.push(() => short.close());
    const opened = await openRaw(short.url, wallet.address, randomBytes(30_000));
    assert.equal((await listPins(peer)).filter((p) => p.metadata.kind === "publish-session").length, 1);
    const query = new URLSearchParams({ owner: wallet.address, custodians: world.custodianAddresses.join(","), threshold: "2" });
    const full = await fetch(`${short.url}/v1/models?${query}`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: randomBytes(100) });
    assert.equal(full.status, 429);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const late = await post(short.url, `/v1/publish-sessions/${opened.session}/manifest-signature`, { signature: `0x${"11".repeat(65)}` });
    assert.deepEqual([late.status, errorCode(late)], [410, "SESSION_EXPIRED"]);
    assert.equal((await listPins(peer)).filter((p) => p.metadata.kind === "publish-session").length, 0);
    // A page of another origin cannot drive it.
    const cross = await fetch(`${short.url}/v1/publish-sessions/${opened.session}/manifest-signature`, {
      method: "POST", headers: { "content-type": "application/json", origin: "http://evil.example" }, body: "{}",
    });
    assert.equal(cross.status, 403);
  });

  it("publishes the next version of a wallet-owned model (rotation) the same way; refuses it for another account", async () => {
    const first = await owner.registerPublished(await owner.signPublishSession(await owner.openPublishSession(randomBytes(20_000), { custodians: world.custodianAddresses, threshold: 2 })));
    const next = randomBytes(25_000);
    const session = await owner.openPublishSession(next, { rotate: first.modelId });
    const rotated = await owner.registerPublished(await owner.signPublishSession(session));
    assert.deepEqual([rotated.modelId, rotated.version], [first.modelId, 2]);
    const version = await owner.getVersion(first.modelId, 2);
    assert.equal(version.manifestCid, rotated.manifestCid);
    await assertSdkCode(clientFor(identityAt(18).account, api.url).openPublishSession(next, { rotate: first.modelId }), "NODE_ERROR", (e) => assert.equal(e.details.nodeCode, "NOT_OWNER"));
  });

  it("terms, grant, revoke, earnings and withdraw from the wallet; refused before sending as the contract would refuse", async () => {
    const published = await owner.registerPublished(
      await owner.signPublishSession(await owner.openPublishSession(randomBytes(20_000), { custodians: world.custodianAddresses, threshold: 2, terms: { price: PRICE } })),
    );
    const modelId = published.modelId;
    const stranger = clientFor(identityAt(18).account, api.url);
    const friend = identityAt(19).address;

    const changed = await owner.setTerms(modelId, { price: 2n * PRICE, maxUses: 5 });
    assert.ok(changed.tx !== null);
    assert.deepEqual([changed.previous.price, changed.terms.price, changed.terms.maxUses], [PRICE, 2n * PRICE, 5]);
    assert.equal((await owner.setTerms(modelId, { price: 2n * PRICE })).tx, null, "nothing changes: no transaction");
    await assertSdkCode(stranger.setTerms(modelId, { price: 1n }), "NOT_OWNER", (e) => assert.match(e.message, new RegExp(wallet.address)));
    await assertSdkCode(owner.setTerms(999n, { price: 1n }), "UNKNOWN_MODEL");

    await assertSdkCode(owner.grantLicence(modelId, friend, { expiresAt: 1_000 }), "EXPIRY_IN_PAST");
    await assertSdkCode(stranger.grantLicence(modelId, friend), "NOT_OWNER");
    const granted = await owner.grantLicence(modelId, friend, { maxUses: 3 });
    assert.deepEqual([granted.licence.maxUses, granted.licence.revoked], [3, false]);
    assert.equal(await owner.hasAccess(modelId, friend), true);
    await assertSdkCode(owner.revokeLicence(modelId, identityAt(18).address), "NO_LICENCE");
    assert.equal((await owner.revokeLicence(modelId, friend)).licence.revoked, true);
    assert.equal(await owner.hasAccess(modelId, friend), false);
    await assertSdkCode(owner.revokeLicence(modelId, friend), "LICENCE_REVOKED");

    // A sale: the owner's part is pending, withdraw claims and pays it out.
    const before = await owner.earnings();
    await clientFor(identityAt(17).account, api.url).buyLicence(modelId);
    const after = await owner.earnings();
    const pending = after.pending.find((p) => p.modelId === modelId && p.version === 1)!;
    assert.ok(pending.asOwner > 0n && pending.asOwner < 2n * PRICE, "the owner's part, less the custodians'");
    assert.equal(after.total - before.total, pending.amount);
    const publicClient = createPublicClient({ chain, transport: custom(world.connection.provider) });
    const balance = await publicClient.getBalance({ address: wallet.address });
    const withdrawn = await owner.withdrawEarnings();
    assert.equal(withdrawn.amount, after.total);
    let gas = 0n;
    for (const tx of [...withdrawn.claims, withdrawn.withdraw]) {
      const receipt = await publicClient.getTransactionReceipt({ hash: tx.txHash });
      gas += receipt.gasUsed * receipt.effectiveGasPrice;
    }
    assert.equal(await publicClient.getBalance({ address: wallet.address }), balance + withdrawn.amount - gas);
    await assertSdkCode(owner.withdrawEarnings(), "NOTHING_TO_WITHDRAW");
    assert.equal((await owner.earnings()).total, 0n);
  });

  it("a directory model the same way; a custodian down is DEPOSIT_FAILED naming it, and the same session completes once it is back", async () => {
    const files = hfDirectory();
    const session = await owner.openPublishSession(await tarOf(tarItemsOf(files)), { custodians: world.custodianAddresses, threshold: 2, contentType: "application/x-tar" });
    assert.equal(session.manifest.format, DIRECTORY_MANIFEST_FORMAT);
    const down = await world.stopCustodian(2);
    try {
      await assertSdkCode(owner.signPublishSession(session), "NODE_ERROR", (e) => {
        assert.equal(e.details.nodeCode, "DEPOSIT_FAILED");
        assert.match(e.message, new RegExp(down.identity.address));
      });
    } finally {
      await world.restartCustodian(2, down);
    }
    const published = await owner.registerPublished(await owner.signPublishSession(session)); // the same signatures again: deposits are idempotent
    const licensee = clientFor(identityAt(17).account, world.custodians[0]!.api.url);
    await licensee.buyLicence(published.modelId);
    const { key, manifestCid } = await licensee.collectKey({ modelId: published.modelId, ticket: await licensee.requestTicket(published.modelId) });
    for (const [path, bytes] of files) assert.equal(sha256(await licensee.fetchModel(manifestCid, key, { file: path })), sha256(bytes), path);
  });

  it("a restart forgets every session and removes what they pinned", async () => {
    const peer = world.licensee.peer;
    const opened = await openRaw(api.url, wallet.address, randomBytes(5_000)); // a session on the main node stays as it is
    // As a crash would leave it: a session's pin, no session.
    const cid = await peer.fs.addBytes(randomBytes(5_000));
    await addPin(peer, cid, undefined, { kind: "publish-session", owner: wallet.address });
    const restarted = await startApi({ peer, identity: world.licensee.identity, chain: world.licensee.chain, host: "127.0.0.1", port: 0 });
    stops.push(() => restarted.close());
    assert.equal((await listPins(peer)).filter((p) => p.metadata.kind === "publish-session").length, 0);
    const unknown = await post(restarted.url, `/v1/publish-sessions/${opened.session}/manifest-signature`, { signature: `0x${"11".repeat(65)}` });
    assert.deepEqual([unknown.status, errorCode(unknown)], [404, "UNKNOWN_SESSION"]);
    // Stopping a node ends its open sessions: their pins go too.
    await restarted.close();
    const again = await startApi({ peer, identity: world.licensee.identity, chain: world.licensee.chain, host: "127.0.0.1", port: 0 });
    stops.push(() => again.close());
    await openRaw(again.url, wallet.address, randomBytes(5_000));
    assert.equal((await listPins(peer)).filter((p) => p.metadata.kind === "publish-session").length, 1);
    await again.close();
    assert.equal((await listPins(peer)).filter((p) => p.metadata.kind === "publish-session").length, 0);
  });
});
