/**
 * Publishing from the owner's wallet through a node (docs/API.md, "Publish sessions"): the node
 * seals the upload, splits and wraps the key and delivers the deposits; the wallet signs the
 * manifest, one ShareDeposit per custodian, and sends registerModel (or publishVersion).
 * The node is not trusted with what the wallet signs or sends: every typed data is rebuilt here
 * from the manifest (crypto/manifest-signature.ts, crypto/custody-messages.ts), the manifest CID
 * is computed here from the signed block, and the call is rebuilt (contracts/version-calls.ts)
 * and must equal the node's calldata.
 */
import { hexToBytes, isAddressEqual, parseEventLogs, type Address, type Hex, type TransactionReceipt } from "viem";
import { depositTypedData } from "../crypto/custody-messages.js";
import { encodeManifestBlock } from "../crypto/manifest-block.js";
import { manifestFromJson, type Manifest } from "../crypto/manifest-schema.js";
import { manifestTypedData } from "../crypto/manifest-signature.js";
import { modelVaultAbi } from "../contracts/abi/ModelVault.js";
import { versionCall, versionCallData, versionParams, type VersionCall } from "../contracts/version-calls.js";
import type { Terms } from "../contracts/views.js";
import { addressOf, type SdkContext } from "./context.js";
import { chainError, SdkError } from "./errors.js";
import { apiUrl, errorOf, requestJson } from "./node-api.js";

export interface PublishSessionOptions {
  /** A new model's custodians and threshold (at least 2); a next version keeps the current ones unless given. */
  custodians?: readonly Address[];
  threshold?: number;
  /** A new model's terms (defaults: free, unlimited). */
  terms?: Partial<Terms>;
  /** Publish the next version of this registered model (the wallet must own it). */
  rotate?: bigint;
  name?: string;
  segmentSize?: number;
  weightsCommitment?: string;
  /** "application/x-tar" for a directory model. */
  contentType?: "application/octet-stream" | "application/x-tar";
  signal?: AbortSignal;
}

/** An open session: the unsigned manifest and the content key (once: keep it safe). */
export interface PublishSession {
  session: string;
  expiresAt: string;
  owner: Address;
  manifest: Manifest;
  next: { terms: Terms } | { modelId: bigint };
  ownerCommitment: bigint;
  key: Uint8Array;
  /** Set when the node made the owner secret (no Owner-Secret header): needed for ownership proofs. */
  ownerSecret?: string;
}

/** Signed and deposited: the call the wallet sends to put the version on chain. */
export interface DepositedSession {
  session: string;
  manifestCid: string;
  custodians: Address[];
  call: VersionCall;
}

export interface WalletPublication {
  manifestCid: string;
  modelId: bigint;
  version: number;
  /** null when it was registered already (replayed): nothing was sent. */
  txHash: Hex | null;
  blockNumber: bigint | null;
  replayed: boolean;
}

const nodeMismatch = (what: string) => new SdkError("NODE_ERROR", `the node's publish session does not match what the wallet signs: ${what}`);

function parseTerms(json: Record<string, unknown>): Terms {
  return { price: BigInt(String(json.price)), duration: Number(json.duration), maxUses: Number(json.maxUses), minStake: BigInt(String(json.minStake)), carryOver: json.carryOver === true };
}

export function ownerPublishCalls(ctx: SdkContext) {
  const { fetchFn, nodeUrl, domain, vault, publicClient, read, transact } = ctx;

  async function owner(): Promise<Address> {
    return addressOf(await ctx.sender());
  }

  async function signTypedData(typedData: ReturnType<typeof manifestTypedData> | ReturnType<typeof depositTypedData>): Promise<Hex> {
    const account = await ctx.sender();
    try {
      return await ctx.walletClient!.signTypedData({ account, ...typedData } as Parameters<NonNullable<SdkContext["walletClient"]>["signTypedData"]>[0]);
    } catch (error) {
      throw chainError(error, "eth_signTypedData_v4");
    }
  }

  /** Where the chain has the session's manifest, by the node's word checked on chain; undefined when nowhere yet. */
  async function registered(deposited: DepositedSession): Promise<{ modelId: bigint; version: number } | undefined> {
    let status: { registered?: { modelId: string; version: number } | null };
    try {
      status = (await requestJson(fetchFn, nodeUrl, `v1/publish-sessions/${deposited.session}`)) as typeof status;
    } catch (error) {
      // The node forgot the session (a restart): the call was rebuilt here, send it.
      if (error instanceof SdkError && error.details.nodeCode === "UNKNOWN_SESSION") return undefined;
      throw error;
    }
    if (status.registered == null) return undefined;
    const modelId = BigInt(status.registered.modelId);
    const { version } = status.registered;
    const [state, recorded] = await Promise.all([
      read("modelState", () => publicClient.readContract({ address: vault, abi: modelVaultAbi, functionName: "modelState", args: [modelId] })),
      read("getVersion", () => publicClient.readContract({ address: vault, abi: modelVaultAbi, functionName: "getVersion", args: [modelId, version] })),
    ]);
    if (recorded.manifestCid !== deposited.manifestCid || !isAddressEqual(state[0], await owner())) throw nodeMismatch(`model ${modelId} version ${version} is not this manifest of this wallet`);
    return { modelId, version };
  }

  return {
    /** Step 1: streams the upload to the node, which seals and stores it for the wallet's account. */
    async openPublishSession(body: Blob | Uint8Array | ReadableStream<Uint8Array>, options: PublishSessionOptions = {}): Promise<PublishSession> {
      const me = await owner();
      await ctx.checkChain();
      const terms = options.terms ?? {};
      const query: Record<string, string | undefined> = {
        owner: me,
        custodians: options.custodians?.join(","),
        threshold: options.threshold?.toString(),
        rotate: options.rotate?.toString(),
        name: options.name,
        segmentSize: options.segmentSize?.toString(),
        weightsCommitment: options.weightsCommitment,
        ...(options.rotate === undefined
          ? { price: terms.price?.toString(), duration: terms.duration?.toString(), maxUses: terms.maxUses?.toString(), minStake: terms.minStake?.toString(), carryOver: terms.carryOver?.toString() }
          : {}),
      };
      const url = apiUrl(nodeUrl, "v1/models", query);
      const streamed = typeof ReadableStream !== "undefined" && body instanceof ReadableStream;
      let response: Response;
      try {
        response = await fetchFn(url, {
          method: "POST",
          headers: { "content-type": options.contentType ?? "application/octet-stream" },
          body: body as RequestInit["body"],
          ...(streamed ? { duplex: "half" } : {}),
          signal: options.signal,
        } as RequestInit);
      } catch (error) {
        throw new SdkError("NODE_UNAVAILABLE", `${url.origin} is unreachable`, {}, { cause: error });
      }
      if (!response.ok) throw await errorOf(response, url.origin);
      const json = (await response.json()) as Record<string, unknown>;
      const checked = manifestFromJson(json.manifest);
      if (!checked.ok) throw new SdkError("INVALID_MANIFEST", checked.message);
      if (!isAddressEqual(checked.manifest.owner, me)) throw nodeMismatch(`the manifest's owner is ${checked.manifest.owner}, the wallet is ${me}`);
      return {
        session: String(json.session),
        expiresAt: String(json.expiresAt),
        owner: me,
        manifest: checked.manifest,
        next: options.rotate === undefined ? { terms: parseTerms(json.terms as Record<string, unknown>) } : { modelId: options.rotate },
        ownerCommitment: BigInt(String(json.ownerCommitment)),
        key: hexToBytes(json.key as Hex),
        ...(typeof json.ownerSecret === "string" ? { ownerSecret: json.ownerSecret } : {}),
      };
    },

    /**
     * Steps 2 and 3: the wallet signs the manifest (the node then wraps the shares to its CID),
     * then each deposit; the node delivers them and collects every custodian's receipt.
     */
    async signPublishSession(session: PublishSession, options: { signal?: AbortSignal } = {}): Promise<DepositedSession> {
      const me = await owner();
      if (!isAddressEqual(session.owner, me)) throw new SdkError("INVALID_ARGUMENT", `the session is for ${session.owner}, the wallet is ${me}`);
      const { manifest } = session;
      const signature = await signTypedData(manifestTypedData(manifest)); // rebuilt here: the wallet signs the manifest it was shown
      const manifestCid = encodeManifestBlock({ manifest, signature }).cid.toString();
      const path = `v1/publish-sessions/${session.session}`;
      const signed = (await requestJson(fetchFn, nodeUrl, `${path}/manifest-signature`, { method: "POST", body: { signature }, signal: options.signal })) as {
        manifestCid: string;
        deposits: { custodian: Address; wrappedShare: Hex }[];
      };
      if (signed.manifestCid !== manifestCid) throw nodeMismatch(`it names manifest ${signed.manifestCid}, the signed block is ${manifestCid}`);
      if (signed.deposits.length !== manifest.custodians.length || signed.deposits.some((d, i) => !isAddressEqual(d.custodian, manifest.custodians[i]!))) {
        throw nodeMismatch("the deposits are not one per manifest custodian, in order");
      }
      const signatures: Hex[] = [];
      for (const deposit of signed.deposits) {
        signatures.push(await signTypedData(depositTypedData(domain, { manifestCid, custodian: deposit.custodian, wrappedShare: deposit.wrappedShare })));
      }
      const done = (await requestJson(fetchFn, nodeUrl, `${path}/deposit-signatures`, { method: "POST", body: { signatures }, signal: options.signal })) as {
        custodians: Address[];
        call: { to: Address; data: Hex };
      };
      const call = versionCall(vault, versionParams(manifest, manifestCid, session.ownerCommitment), session.next);
      if (!isAddressEqual(done.call.to, vault) || done.call.data !== versionCallData(call)) throw nodeMismatch("its call differs from the one built from the signed manifest");
      return { session: session.session, manifestCid, custodians: done.custodians, call };
    },

    /**
     * Sends the deposited session's registerModel (or publishVersion) from the wallet; the model id
     * and version from its event. Safe to retry: when the node says the chain has the manifest
     * already (checked on chain here: that version of that model, owned by the wallet), nothing is sent.
     */
    async registerPublished(deposited: DepositedSession): Promise<WalletPublication> {
      const { call } = deposited;
      const earlier = await registered(deposited);
      if (earlier !== undefined) return { manifestCid: deposited.manifestCid, ...earlier, txHash: null, blockNumber: null, replayed: true };
      const receipt: TransactionReceipt = await transact(call.functionName, (account) =>
        publicClient.simulateContract({ ...call, args: call.args as never, account } as Parameters<typeof publicClient.simulateContract>[0]),
      );
      const logs = receipt.logs.filter((log) => isAddressEqual(log.address, vault));
      if (call.functionName === "registerModel") {
        const [event] = parseEventLogs({ abi: modelVaultAbi, eventName: "ModelRegistered", logs });
        if (event === undefined) throw new SdkError("CHAIN_ERROR", `transaction ${receipt.transactionHash} emitted no ModelRegistered event`);
        return { manifestCid: deposited.manifestCid, modelId: event.args.modelId, version: 1, txHash: receipt.transactionHash, blockNumber: receipt.blockNumber, replayed: false };
      }
      const [event] = parseEventLogs({ abi: modelVaultAbi, eventName: "VersionPublished", logs });
      if (event === undefined) throw new SdkError("CHAIN_ERROR", `transaction ${receipt.transactionHash} emitted no VersionPublished event`);
      return { manifestCid: deposited.manifestCid, modelId: call.args[0], version: event.args.version, txHash: receipt.transactionHash, blockNumber: receipt.blockNumber, replayed: false };
    },
  };
}
