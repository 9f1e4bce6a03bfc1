/**
 * The custodian role of a node. It takes share deposits from model owners (checking the owner's
 * signature, that the share opens with this node's key and matches the signed manifest, and
 * pinning the content it will be challenged on), and releases a share only for an access ticket
 * the chain issued: the ticket exists, has enough confirmations, is unexpired, its licence is
 * live, it names this request's model and version, this node is in that version's custodian set,
 * the share was deposited by the model's owner, and the request is signed by the ticket's
 * recipient key. The share leaves only wrapped to the key the chain recorded, once per ticket: a
 * repeated request (the licensee's retry, or anyone's replay of it) passes every check again and
 * gets the same recorded bytes, so replaying a request gains nothing and spends nothing.
 */
import { bytesToHex, hexToBytes, isAddressEqual, type Hex } from "viem";
import type { z } from "zod";
import { constantTimeEqual, decodeShare, unwrapKey, wrapKey, type NodeIdentity } from "../../crypto/index.js";
import type { ChainClient, TicketView } from "../chain/index.js";
import { DEFAULT_FETCH_TIMEOUT_MS } from "../config.js";
import { readManifest } from "../models/fetch.js";
import { addPin, parseCid } from "../storage/pins.js";
import type { StoragePeer } from "../storage/storage-peer.js";
import { CustodyRefusedError } from "./errors.js";
import {
  depositContext,
  depositSigner,
  releaseContext,
  releaseSignedBy,
  shareDepositSchema,
  shareHash,
  shareReleaseSchema,
  signReceipt,
  type CustodyDomain,
  type DepositReceipt,
  type ReleasedShare,
  type ShareRelease,
} from "./protocol.js";
import type { ReleaseLimits } from "./release-limits.js";
import type { ShareStore } from "./share-store.js";
import type { TicketIndex } from "./ticket-index.js";

/** What the custodian reads from the chain (a ChainClient, or anything shaped like one). */
export type CustodyChain = Pick<
  ChainClient,
  "chainId" | "deployment" | "confirmations" | "ticket" | "ticketBlock" | "confirmationsOf" | "version" | "modelState"
>;

export interface CustodianOptions {
  identity: NodeIdentity;
  chain: CustodyChain;
  store: ShareStore;
  peer: StoragePeer;
  /** Confirmations a ticket needs; the chain client's by default. */
  confirmations?: number;
  /** Deadline for the manifest of a deposit, from peers. */
  fetchTimeoutMs?: number;
  /** Deadline for pinning a deposit's content. */
  pinTimeoutMs?: number;
  /** Live tickets followed from the chain: releases of tickets it vouches for read no chain. */
  index?: TicketIndex | undefined;
  /** Per-licensee release limits (the per-client ones are the HTTP route's). */
  limits?: ReleaseLimits | undefined;
}

export function custodyDomain(chain: Pick<ChainClient, "chainId" | "deployment">): CustodyDomain {
  return { chainId: chain.chainId, vault: chain.deployment.contracts.ModelVault };
}

function parse<S extends z.ZodTypeAny>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new CustodyRefusedError("MALFORMED_REQUEST", `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`);
  }
  return result.data as z.output<S>;
}

export class Custodian {
  readonly #identity: NodeIdentity;
  readonly #chain: CustodyChain;
  readonly #store: ShareStore;
  readonly #peer: StoragePeer;
  readonly #confirmations: number;
  readonly #fetchTimeoutMs: number;
  readonly #pinTimeoutMs: number;
  readonly #domain: CustodyDomain;
  readonly #index: TicketIndex | undefined;
  readonly #limits: ReleaseLimits | undefined;
  /** Opened shares by manifest CID: the key that opens them is in memory anyway, and an ECDH
   * per release would be the custodian's largest cost. Only the disk copy must stay sealed. */
  readonly #opened = new Map<string, Uint8Array>();
  /** manifest CID of (model, version): immutable on chain once published, so cached. */
  readonly #versions = new Map<string, { manifestCid: string; custodians: readonly Hex[] }>();
  /** Release requests whose signature verified, oldest first (bounded by VERIFIED_KEPT). */
  readonly #verified = new Set<string>();

  constructor(options: CustodianOptions) {
    this.#identity = options.identity;
    this.#chain = options.chain;
    this.#store = options.store;
    this.#peer = options.peer;
    this.#confirmations = options.confirmations ?? options.chain.confirmations;
    this.#fetchTimeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
    this.#pinTimeoutMs = options.pinTimeoutMs ?? 10 * 60_000;
    this.#domain = custodyDomain(options.chain);
    this.#index = options.index;
    this.#limits = options.limits;
  }

  get address(): Hex {
    return this.#identity.address;
  }

  get store(): ShareStore {
    return this.#store;
  }

  /** The release limits; the HTTP route applies the per-client one before reading a body. */
  get limits(): ReleaseLimits | undefined {
    return this.#limits;
  }

  /** Stores a share and pins its content; the receipt tells the owner it may register. */
  async deposit(body: unknown): Promise<DepositReceipt> {
    const deposit = parse(shareDepositSchema, body);
    if (!isAddressEqual(deposit.custodian, this.address)) {
      throw new CustodyRefusedError("NOT_FOR_THIS_CUSTODIAN", `the deposit names custodian ${deposit.custodian}, this node is ${this.address}`);
    }
    const signer = await depositSigner(this.#domain, deposit).catch(() => undefined);
    if (signer === undefined || !isAddressEqual(signer, deposit.owner)) {
      throw new CustodyRefusedError("BAD_SIGNATURE", "the deposit is not signed by the owner it names");
    }
    const share = await this.#openDeposit(deposit.manifestCid, deposit.wrappedShare);

    for (const address of deposit.providers) await this.#peer.dial(address).catch(() => {}); // best effort
    const manifestCid = parseCid(deposit.manifestCid);
    const { manifest } = await readManifest(this.#peer, manifestCid, { expectedOwner: deposit.owner, timeoutMs: this.#fetchTimeoutMs });
    const decoded = decodeShare(share);
    if (
      !constantTimeEqual(hexToBytes(manifest.keyCommitment as Hex), decoded.commitment) ||
      manifest.threshold !== decoded.threshold ||
      !manifest.custodians.some((c) => isAddressEqual(c as Hex, this.address))
    ) {
      throw new CustodyRefusedError("MANIFEST_MISMATCH", "the share does not belong to the manifest's key, threshold or custodian set");
    }

    const existing = this.#store.get(deposit.manifestCid);
    if (existing !== undefined) {
      const same = constantTimeEqual(await this.#openDeposit(existing.manifestCid, existing.wrappedShare), share);
      if (!same) throw new CustodyRefusedError("SHARE_CONFLICT", `a different share for ${deposit.manifestCid} is already held`);
    }
    await addPin(this.#peer, manifestCid, AbortSignal.timeout(this.#pinTimeoutMs), { kind: "custody" });
    if (existing === undefined) {
      await this.#store.put({
        manifestCid: deposit.manifestCid,
        contentCid: manifest.content.toString(),
        owner: deposit.owner,
        wrappedShare: deposit.wrappedShare,
        signature: deposit.signature,
        depositedAt: Math.floor(Date.now() / 1000),
      });
    }
    return signReceipt(this.#identity.account, this.#domain, {
      manifestCid: deposit.manifestCid,
      shareHash: shareHash(deposit.wrappedShare),
      contentCid: manifest.content.toString(),
    });
  }

  async #openDeposit(manifestCid: string, wrapped: Hex): Promise<Uint8Array> {
    try {
      const share = await unwrapKey(this.#identity.privateKey, hexToBytes(wrapped), depositContext(manifestCid));
      decodeShare(share);
      return share;
    } catch {
      throw new CustodyRefusedError("SHARE_UNREADABLE", "the share does not open with this custodian's key as a valid key share");
    }
  }

  async #versionOf(modelId: bigint, version: number) {
    const key = `${modelId}/${version}`;
    let known = this.#versions.get(key);
    if (known === undefined) {
      const v = await this.#chain.version(modelId, version);
      if (v === null) return undefined;
      known = { manifestCid: v.manifestCid, custodians: v.custodians };
      this.#versions.set(key, known);
    }
    return known;
  }

  /**
   * Releases this node's share for a ticket, wrapped to the ticket's recipient key. A ticket the
   * index vouches for is checked against the index's facts; anything else, and any refusal of a
   * vouched ticket but a rate limit, is decided on a chain read: refusals always come from the chain.
   */
  async release(body: unknown): Promise<ReleasedShare> {
    const request = parse(shareReleaseSchema, body);
    const vouched = this.#index?.vouch(request.ticketId);
    if (vouched !== undefined) {
      try {
        return await this.#decide(request, {
          ticket: vouched.ticket,
          version: { manifestCid: vouched.manifestCid, custodians: vouched.custodians },
          owner: vouched.owner,
          confirmed: true,
        });
      } catch (error) {
        if (!(error instanceof CustodyRefusedError) || error.code === "RATE_LIMITED") throw error;
      }
    }
    const modelId = BigInt(request.modelId);
    const [ticket, version, state] = await Promise.all([
      this.#chain.ticket(request.ticketId),
      this.#versionOf(modelId, request.version),
      this.#chain.modelState(modelId),
    ]);
    return this.#decide(request, { ticket, version, owner: state?.owner, confirmed: false });
  }

  /**
   * releaseSignedBy, remembering requests that verified: a licensee's retry, its hedged copies
   * and a flood of one captured request are then a map lookup instead of an ECDSA verification.
   * The key is every byte the verification depended on.
   */
  #signedByRecipient(request: ShareRelease, recipientKey: Hex): boolean {
    const key = `${recipientKey}/${request.ticketId}/${request.modelId}/${request.version}/${request.signature}`.toLowerCase();
    if (this.#verified.has(key)) return true;
    if (!releaseSignedBy(this.#domain, request, recipientKey)) return false;
    if (this.#verified.size >= VERIFIED_KEPT) this.#verified.delete(this.#verified.values().next().value!);
    this.#verified.add(key);
    return true;
  }

  async #decide(request: ShareRelease, facts: ReleaseFacts): Promise<ReleasedShare> {
    const { ticket, version } = facts;
    const modelId = BigInt(request.modelId);
    if (ticket === null) throw new CustodyRefusedError("UNKNOWN_TICKET", `no ticket ${request.ticketId} on chain`);
    if (!this.#signedByRecipient(request, ticket.recipientKey)) {
      throw new CustodyRefusedError("WRONG_RECIPIENT", "the request is not signed by the ticket's recipient key");
    }
    // Counted only once signed by the recipient key: nobody can spend a licensee's allowance.
    this.#limits?.licensee(ticket.licensee);
    if (ticket.modelId !== modelId || ticket.version !== request.version) {
      throw new CustodyRefusedError("WRONG_MODEL", `the ticket is for model ${ticket.modelId} version ${ticket.version}`);
    }
    if (!ticket.licenceLive) throw new CustodyRefusedError("LICENCE_NOT_LIVE", "the ticket's licence is revoked, expired or for an older version");
    if (!ticket.valid) throw new CustodyRefusedError("TICKET_EXPIRED", "the ticket has expired");
    if (!facts.confirmed && this.#confirmations > 1) {
      const block = await this.#chain.ticketBlock(request.ticketId);
      const confirmations = block === null ? 0n : await this.#chain.confirmationsOf(block);
      if (confirmations < BigInt(this.#confirmations)) {
        throw new CustodyRefusedError("TICKET_NOT_CONFIRMED", `the ticket has ${confirmations} of ${this.#confirmations} confirmations; retry later`);
      }
    }
    if (version === undefined || !version.custodians.some((c) => isAddressEqual(c, this.address))) {
      throw new CustodyRefusedError("NOT_A_CUSTODIAN", `this node is not a custodian of model ${modelId} version ${request.version}`);
    }
    const stored = this.#store.get(version.manifestCid);
    if (stored === undefined) throw new CustodyRefusedError("NO_SHARE", `no share held for manifest ${version.manifestCid}`);
    if (facts.owner === undefined || !isAddressEqual(facts.owner, stored.owner)) {
      throw new CustodyRefusedError("OWNER_MISMATCH", "the share was deposited by another account than the model's owner");
    }
    let share = this.#opened.get(stored.manifestCid);
    if (share === undefined) this.#opened.set(stored.manifestCid, (share = await this.#openDeposit(stored.manifestCid, stored.wrappedShare)));
    const opened = share;
    const recipientKey = hexToBytes(ticket.recipientKey);
    // wrapKey is async (crypto/platform) and releaseOnce's wrap is not: wrap first unless the ticket
    // was released (a repeat gets the recorded answer). Two first requests at once may both wrap;
    // releaseOnce keeps one.
    const wrapped = this.#store.released(request.ticketId) === undefined ? bytesToHex(await wrapKey(recipientKey, opened, releaseContext(request.ticketId))) : undefined;
    const record = await this.#store.releaseOnce(request.ticketId, { recipientKey: ticket.recipientKey, expiresAt: Number(ticket.expiresAt) }, () => {
      if (wrapped === undefined) throw new Error("the release record vanished between its lookup and its use");
      return wrapped;
    });
    // Only after a reorganisation re-issued this ticket id for another key: that wrap is not for this key.
    if (!constantTimeEqual(hexToBytes(record.recipientKey), recipientKey)) {
      throw new CustodyRefusedError("ALREADY_REDEEMED", "this ticket was released here to another recipient key");
    }
    return { ticketId: request.ticketId, custodian: this.address, wrappedShare: record.wrappedShare };
  }
}

/** Verified requests remembered: ~200 bytes each. */
const VERIFIED_KEPT = 10_000;

/** What a release is decided on: from the ticket index, or read from the chain. */
interface ReleaseFacts {
  ticket: TicketView | null;
  version: { manifestCid: string; custodians: readonly Hex[] } | undefined;
  owner: Hex | undefined;
  /** The index holds only tickets with the custodian's confirmations. */
  confirmed: boolean;
}
