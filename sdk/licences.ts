/** Licences and tickets: access checks, buying a licence, requesting a key ticket. */
import { bytesToHex, type Address, type TransactionReceipt } from "viem";
import { modelVaultAbi } from "../contracts/abi/ModelVault.js";
import { requireWebCrypto } from "./environment.js";
import type { AccessTicket, LicencePurchase } from "./client-types.js";
import { addressOf, checkModelId, eventOf, type SdkContext } from "./context.js";
import { generateRecipientKey } from "./ecies.js";

export function licenceCalls({ publicClient, vault, read, sender, transact }: SdkContext) {
  return {
    /** Whether `account` (default: the wallet's) holds a usable licence. */
    async hasAccess(modelId: bigint, account?: Address): Promise<boolean> {
      checkModelId(modelId);
      const who = account ?? addressOf(await sender());
      return read("hasAccess", () => publicClient.readContract({ address: vault, abi: modelVaultAbi, functionName: "hasAccess", args: [modelId, who] }));
    },

    /** Buys a licence, paying exactly the current price from the model's terms. */
    async buyLicence(modelId: bigint): Promise<LicencePurchase> {
      checkModelId(modelId);
      const receipt = await transact("buy", async (account) => {
        const terms = await publicClient.readContract({ address: vault, abi: modelVaultAbi, functionName: "terms", args: [modelId] });
        return publicClient.simulateContract({ address: vault, abi: modelVaultAbi, functionName: "buy", args: [modelId], value: terms.price, account });
      });
      const { args } = eventOf(receipt, vault, "LicensePurchased");
      return { price: args.price, version: args.version, expiresAt: args.expiresAt, maxUses: args.maxUses, txHash: receipt.transactionHash, blockNumber: receipt.blockNumber };
    },

    /**
     * requestKey with a fresh secp256k1 recipient key generated here (never sent anywhere but
     * its public half, to the chain). Consumes one licence use.
     */
    async requestTicket(modelId: bigint): Promise<AccessTicket> {
      checkModelId(modelId);
      requireWebCrypto(); // a ticket is spent for good: without WebCrypto its shares could never be unwrapped here
      const recipient = generateRecipientKey();
      const recipientPublicKey = bytesToHex(recipient.publicKey);
      let receipt: TransactionReceipt;
      try {
        receipt = await transact("requestKey", (account) =>
          publicClient.simulateContract({ address: vault, abi: modelVaultAbi, functionName: "requestKey", args: [modelId, recipientPublicKey], account }),
        );
      } catch (error) {
        recipient.privateKey.fill(0);
        throw error;
      }
      const { args } = eventOf(receipt, vault, "KeyRequested");
      return {
        ticketId: args.ticketId, modelId, version: args.version, expiresAt: args.expiresAt,
        recipientPrivateKey: recipient.privateKey, recipientPublicKey,
        txHash: receipt.transactionHash, blockNumber: receipt.blockNumber,
      };
    },
  };
}
