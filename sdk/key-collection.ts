/**
 * The content key from the custodians: one signed ShareRelease to each (their endpoints read
 * from the chain and cached), k shares unwrapped and combined, checked against the manifest.
 */
import { hexToBytes, type Address } from "viem";
import { custodianRegistryAbi } from "../contracts/abi/CustodianRegistry.js";
import type { CollectedKey, CollectKeyParams } from "./client-types.js";
import { checkModelId, type ClientRef, type SdkContext } from "./context.js";
import { collectShares } from "./custody.js";
import { SdkError } from "./errors.js";

const ENDPOINT_TTL_MS = 60_000;

export function keyCollection(ctx: SdkContext, client: ClientRef) {
  const { publicClient, registry, read, fetchFn, domain } = ctx;
  const endpoints = new Map<string, { endpoint: string; until: number }>();

  /** A custodian's registered endpoint, cached for a minute. */
  async function endpointOf(custodian: Address): Promise<string> {
    const cached = endpoints.get(custodian.toLowerCase());
    if (cached !== undefined && cached.until > Date.now()) return cached.endpoint;
    const info = await read("custodianInfo", () =>
      publicClient.readContract({ address: registry, abi: custodianRegistryAbi, functionName: "custodianInfo", args: [custodian] }),
    );
    if (!info.registered) throw new SdkError("NODE_ERROR", "not a registered custodian");
    endpoints.set(custodian.toLowerCase(), { endpoint: info.endpoint, until: Date.now() + ENDPOINT_TTL_MS });
    return info.endpoint;
  }

  return {
    /**
     * Reads the ticket's version (custodians, threshold, manifest) and each custodian's endpoint
     * from the chain, sends one signed ShareRelease, unwraps and combines k shares and checks
     * the key against the manifest's commitment.
     */
    async collectKey(params: CollectKeyParams): Promise<CollectedKey> {
      const { modelId, ticket } = params;
      checkModelId(modelId);
      if (!(ticket?.recipientPrivateKey instanceof Uint8Array)) throw new SdkError("INVALID_ARGUMENT", "ticket.recipientPrivateKey is required");
      const [version, model] = await Promise.all([client().getVersion(modelId, ticket.version), client().getModel(modelId)]);
      const { manifest } = await client().getManifest(version.manifestCid, { expectedOwner: model.owner, signal: params.signal });
      const commitment = hexToBytes(manifest.keyCommitment);
      const key = await collectShares({
        fetch: fetchFn,
        domain,
        ticketId: ticket.ticketId,
        modelId,
        version: ticket.version,
        recipientPrivateKey: ticket.recipientPrivateKey,
        custodians: version.custodians,
        threshold: version.threshold,
        keyCommitment: commitment,
        endpointOf,
        timeoutMs: params.timeoutMs ?? ctx.custodianTimeoutMs,
        hedgeMs: params.hedgeMs ?? ctx.hedgeMs,
        signal: params.signal,
      });
      return { key, manifestCid: version.manifestCid, manifest };
    },
  };
}
