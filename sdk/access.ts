/** accessModel: the whole licensee path in one call, every secret zeroed on the way out. */
import { requireWebCrypto } from "./environment.js";
import type { AccessOptions, AccessResult, LicencePurchase } from "./client-types.js";
import { collectPlaintext, openContent } from "./content.js";
import { checkModelId, type ClientRef, type SdkContext } from "./context.js";

export function accessCalls(ctx: SdkContext, client: ClientRef) {
  return {
    /** Licence (bought when asked and needed) -> ticket -> key from the custodians -> fetch and decrypt. */
    async accessModel(modelId: bigint, options: AccessOptions = {}): Promise<AccessResult> {
      checkModelId(modelId);
      requireWebCrypto(); // NO_WEBCRYPTO before anything is bought or spent, not after
      let purchase: LicencePurchase | undefined;
      if (options.buy === true && !(await client().hasAccess(modelId))) purchase = await client().buyLicence(modelId);
      const ticket = await client().requestTicket(modelId);
      try {
        const collected = await client().collectKey({ modelId, ticket, timeoutMs: options.custodianTimeoutMs, signal: options.signal });
        try {
          const data = await collectPlaintext(await openContent(ctx, collected.manifest, collected.key, options));
          return { data, manifestCid: collected.manifestCid, manifest: collected.manifest, version: ticket.version, ticketId: ticket.ticketId, ...(purchase ? { purchase } : {}) };
        } finally {
          collected.key.fill(0);
        }
      } finally {
        ticket.recipientPrivateKey.fill(0);
      }
    },
  };
}
