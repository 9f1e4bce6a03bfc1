/**
 * Publishing for an owner whose key is in a wallet (docs/API.md, "Publish sessions"): the node
 * does the heavy work (seals and stores the upload, splits and wraps the key, delivers the
 * deposits), the wallet signs what the protocol needs, in three steps because each signature
 * names what the one before it fixes:
 *   1. open:     seal the upload; answer the unsigned manifest and its EIP-712 typed data (and the key, once)
 *   2. manifest: check the manifest signature, pin the signed manifest (its CID is now known),
 *                wrap one share per custodian to it; answer one ShareDeposit typed data each
 *   3. deposits: check every deposit signature, deliver them, collect every receipt; answer the
 *                registerModel (or publishVersion) call for the wallet to send
 * Every signature must recover to the session's owner. Until step 3 the session's pins are
 * labelled kind=publish-session: expiry (or a restart, sweepSessionPins) unpins them.
 */
import { isAddressEqual, type Address, type Hex } from "viem";
import { manifestTypedData, verifyManifest } from "../../crypto/index.js";
import { versionCall, versionCallData, versionParams, type VersionCall } from "../../contracts/version-calls.js";
import type { Terms } from "../../contracts/views.js";
import type { ChainClient } from "../chain/index.js";
import { ActionRefusedError } from "../chain/owner-actions.js";
import { readManifest } from "../models/fetch.js";
import type { Manifest } from "../models/manifest.js";
import { pinManifest, sealFile, type SealedModel } from "../models/publish.js";
import { sealDirectory } from "../models/publish-directory.js";
import { addPin, listPins, parseCid, removePin } from "../storage/pins.js";
import type { StoragePeer } from "../storage/storage-peer.js";
import { custodyDomain } from "./custodian.js";
import { deliverDeposits, isDirectoryContent, resolveCustodians, wrapShares, type CustodianTarget, type ModelContent, type WrappedShare } from "./owner.js";
import { depositSigner, depositTypedData } from "./protocol.js";
import { findRegistration } from "./publish-journal.js";
import { PublishSessionError, SessionStore, type SessionLimits } from "./wallet-sessions.js";

const SESSION_PIN = "publish-session";

export interface WalletSession {
  owner: Address;
  stage: "sealed" | "signed";
  sealed: SealedModel;
  targets: CustodianTarget[];
  next: { terms: Terms } | { modelId: bigint };
  ownerCommitment: bigint;
  /** Set at step 2. */
  manifestCid?: string;
  signature?: Hex;
  wrapped?: WrappedShare[];
}

export interface WalletPublishRequest {
  owner: Address;
  /** A new model's custodians and threshold; a rotation keeps the current version's unless given. */
  custodians?: readonly Address[];
  threshold?: number;
  /** A new model's terms, or the registered model (owned by `owner`) whose next version this is. */
  next: { terms: Terms } | { modelId: bigint };
  ownerCommitment: bigint;
  name?: string;
  segmentSize?: number;
  weightsCommitment?: string;
  signal?: AbortSignal;
}

/** The JSON of a contract call: `to`, the function, its arguments (bigints as decimal strings) and the calldata. */
function callJson(call: VersionCall) {
  return { to: call.address, functionName: call.functionName, args: JSON.parse(JSON.stringify(call.args, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))) as unknown[], data: versionCallData(call) };
}

export class WalletPublisher {
  readonly sessions: SessionStore<WalletSession>;
  readonly #peer: StoragePeer;
  readonly #chain: ChainClient;

  constructor(peer: StoragePeer, chain: ChainClient, limits: Partial<SessionLimits> = {}) {
    this.#peer = peer;
    this.#chain = chain;
    this.sessions = new SessionStore<WalletSession>(limits, (session, why) => this.#release(session, why));
  }

  /** Step 1: seal the upload for `owner`; nothing is signed, the content is pinned for the session only. */
  async open(content: ModelContent, request: WalletPublishRequest) {
    this.sessions.reserve(); // before the upload is read
    const chain = this.#chain;
    let version = 1;
    let modelIdBytes: Uint8Array | undefined;
    let { custodians, threshold, name, weightsCommitment } = request;
    if ("modelId" in request.next) {
      const modelId = request.next.modelId;
      const state = await chain.modelState(modelId);
      const current = state === null ? null : await chain.version(modelId, state.version);
      if (state === null || current === null) throw new ActionRefusedError("UNKNOWN_MODEL", `model ${modelId} is not registered`);
      if (!isAddressEqual(state.owner, request.owner)) throw new ActionRefusedError("NOT_OWNER", `model ${modelId} is owned by ${state.owner}, not by ${request.owner}`);
      if (state.status === "retired") throw new ActionRefusedError("MODEL_RETIRED", `model ${modelId} is retired: it takes no more versions`);
      const { manifest } = await readManifest(this.#peer, current.manifestCid, { expectedOwner: state.owner });
      version = state.version + 1;
      modelIdBytes = Buffer.from(manifest.modelId.slice(2), "hex"); // the stream stays bound to the same model
      custodians ??= current.custodians;
      threshold ??= current.threshold;
      name ??= manifest.name;
      weightsCommitment ??= manifest.weightsCommitment;
    }
    const targets = await resolveCustodians(chain, custodians!);
    const sealing = {
      owner: { address: request.owner }, version, custodians: [...custodians!], threshold: threshold!,
      ...(modelIdBytes === undefined ? {} : { modelId: modelIdBytes }),
      ...(name === undefined ? {} : { name }),
      ...(request.segmentSize === undefined ? {} : { segmentSize: request.segmentSize }),
      ...(weightsCommitment === undefined ? {} : { weightsCommitment }),
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    };
    const sealed: SealedModel = isDirectoryContent(content) ? await sealDirectory(this.#peer, content.directory, sealing) : await sealFile(this.#peer, content, sealing);
    await addPin(this.#peer, sealed.contentCid, request.signal, { kind: SESSION_PIN, owner: request.owner });
    const session: WalletSession = { owner: request.owner, stage: "sealed", sealed, targets, next: request.next, ownerCommitment: request.ownerCommitment };
    let opened: { id: string; expiresAt: number };
    try {
      opened = this.sessions.open(session);
    } catch (error) {
      await this.#release(session, "expired");
      throw error;
    }
    return { session: opened.id, expiresAt: new Date(opened.expiresAt).toISOString(), owner: request.owner, manifest: sealed.manifest, typedData: manifestTypedData(sealed.manifest), key: sealed.key };
  }

  /** Step 2: the manifest signature; the same signature again gets the same answer. */
  async signManifest(id: string, signature: Hex) {
    return this.sessions.use(id, async (session) => {
      if (session.stage === "signed") {
        if (session.signature !== signature) throw new PublishSessionError("SESSION_STAGE", `publish session ${id} has its manifest signed already: post the deposit signatures`);
        return this.#depositsAnswer(id, session);
      }
      await checkSigner(session.owner, "the manifest signature", () => verifyManifest(session.sealed.manifest, signature));
      const signed = { manifest: session.sealed.manifest, signature };
      const manifestCid = (await pinManifest(this.#peer, signed, undefined, { kind: SESSION_PIN, owner: session.owner })).toString();
      // An earlier try that failed after pinning, with another (valid) signature: that block is of no use.
      if (session.manifestCid !== undefined && session.manifestCid !== manifestCid) await removePin(this.#peer, parseCid(session.manifestCid));
      Object.assign(session, { manifestCid, signature }); // what expiry unpins from now on
      await removePin(this.#peer, session.sealed.contentCid); // the manifest's pin holds it now
      session.wrapped = await wrapShares(session.sealed.key, session.sealed.manifest.threshold, session.targets, manifestCid);
      session.sealed.key.fill(0); // the shares are wrapped: the node needs the key no more
      session.stage = "signed";
      return this.#depositsAnswer(id, session);
    });
  }

  #depositsAnswer(id: string, session: WalletSession) {
    const domain = custodyDomain(this.#chain);
    return {
      session: id,
      manifestCid: session.manifestCid!,
      deposits: session.wrapped!.map(({ custodian, wrappedShare }) => ({
        custodian: custodian.address,
        wrappedShare,
        typedData: depositTypedData(domain, { manifestCid: session.manifestCid!, custodian: custodian.address, wrappedShare }),
      })),
    };
  }

  /** Step 3: one signature per deposit, in the order of step 2's answer; every receipt, then the call to send. */
  async deliver(id: string, signatures: readonly Hex[]) {
    return this.sessions.use(id, async (session) => {
      if (session.stage !== "signed") throw new PublishSessionError("SESSION_STAGE", `publish session ${id} needs its manifest signature first`);
      const wrapped = session.wrapped!;
      if (signatures.length !== wrapped.length) throw new PublishSessionError("INVALID_SIGNATURE", `expected ${wrapped.length} deposit signatures, one per custodian, got ${signatures.length}`);
      const domain = custodyDomain(this.#chain);
      const providers = this.#peer.addresses.map(String).slice(0, 8);
      const deposits = await Promise.all(
        wrapped.map(async ({ custodian, wrappedShare }, i) => {
          const deposit = { manifestCid: session.manifestCid!, owner: session.owner, custodian: custodian.address, wrappedShare, providers, signature: signatures[i]! };
          await checkSigner(session.owner, `the deposit signature for ${custodian.address}`, () => depositSigner(domain, deposit));
          return { endpoint: custodian.endpoint, deposit };
        }),
      );
      const receipts = await deliverDeposits(domain, deposits); // DEPOSIT_FAILED leaves the session open for a retry
      const params = versionParams(session.sealed.manifest, session.manifestCid!, session.ownerCommitment);
      const call = versionCall(this.#chain.deployment.contracts.ModelVault, params, session.next);
      const outcome = {
        session: id,
        owner: session.owner,
        ...("modelId" in session.next ? { modelId: session.next.modelId.toString() } : {}),
        manifestCid: session.manifestCid!,
        custodians: receipts.map((r) => r.custodian),
        threshold: params.threshold,
        ownerCommitment: params.ownerCommitment.toString(),
        call: callJson(call),
      };
      await this.sessions.end(id, "used", outcome);
      return outcome;
    });
  }

  /** A completed session's answer and where the chain has its manifest now (null until the wallet's transaction is mined). */
  async status(id: string) {
    const outcome = this.sessions.outcome(id) as { owner: Address; modelId?: string; manifestCid: string } | undefined;
    if (outcome === undefined) return this.sessions.use(id, async (session, expiresAt) => ({ session: id, stage: session.stage, expiresAt: new Date(expiresAt).toISOString() }));
    const rotating = outcome.modelId === undefined ? undefined : BigInt(outcome.modelId);
    const found = await findRegistration(this.#chain, outcome.owner, outcome.manifestCid, rotating);
    return { ...outcome, stage: "deposited", registered: found === undefined ? null : { modelId: found.modelId.toString(), version: found.version } };
  }

  /** The session ended: wipe its key and shares; a completed one keeps its manifest as an ordinary pin, any other is unpinned. */
  async #release(session: WalletSession, why: "expired" | "used" | "closed"): Promise<void> {
    session.sealed.key.fill(0);
    session.wrapped = undefined;
    // Its one pin: the content's until the manifest was signed, then the manifest's (which holds the content).
    await removePin(this.#peer, session.manifestCid === undefined ? session.sealed.contentCid : parseCid(session.manifestCid));
    if (why === "used") await pinManifest(this.#peer, { manifest: session.sealed.manifest as Manifest, signature: session.signature! });
  }

  /** At start: a session does not survive a restart, so no publish-session pin is still needed. */
  async sweepSessionPins(): Promise<number> {
    const stale = (await listPins(this.#peer)).filter((pin) => pin.metadata.kind === SESSION_PIN);
    for (const pin of stale) await removePin(this.#peer, parseCid(pin.cid));
    return stale.length;
  }

  close(): Promise<void> {
    return this.sessions.close();
  }
}

/** INVALID_SIGNATURE when malformed, WRONG_SIGNER unless it recovers to `owner`. */
async function checkSigner(owner: Address, what: string, recover: () => Promise<Address>): Promise<void> {
  let signer: Address;
  try {
    signer = await recover();
  } catch {
    throw new PublishSessionError("INVALID_SIGNATURE", `${what} is malformed`); // ManifestSignatureError, or viem's for a deposit
  }
  if (!isAddressEqual(signer, owner)) throw new PublishSessionError("WRONG_SIGNER", `${what} is by ${signer}, not by the session's owner ${owner}`);
}
