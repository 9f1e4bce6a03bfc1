/**
 * Every licence of one model, for its owner's page: the holders come from the model's history
 * (LicensePurchased and LicenseGranted, the SDK's modelHistory view), each read back from the
 * vault as it is now (a licence bought again or revoked since shows its current state).
 */
import { isAddressEqual, type Address } from "viem";
import { modelVaultAbi, type ModelvaultClient } from "../../sdk/index.js";
import type { AppContext } from "../context.js";

export interface ModelLicence {
  account: Address;
  /** How it was last issued. */
  issued: "bought" | "granted";
  version: number;
  /** Unix seconds; 0 = no expiry. */
  expiresAt: number;
  /** 0 = unlimited. */
  maxUses: number;
  used: number;
  revoked: boolean;
  /** Whether it grants access now (the contract's hasAccess). */
  usable: boolean;
}

export async function modelLicences(ctx: AppContext, sdk: ModelvaultClient, modelId: bigint): Promise<ModelLicence[]> {
  const history = await sdk.modelHistory(modelId);
  const holders = new Map<string, { account: Address; issued: ModelLicence["issued"] }>();
  for (const event of history) {
    if (event.contract !== "vault" || (event.eventName !== "LicensePurchased" && event.eventName !== "LicenseGranted")) continue;
    const account = event.args.licensee as Address;
    holders.set(account.toLowerCase(), { account, issued: event.eventName === "LicenseGranted" ? "granted" : "bought" });
  }
  const client = ctx.publicClient();
  const vault = ctx.config.chain!.deployment.contracts.ModelVault;
  return Promise.all(
    [...holders.values()].map(async ({ account, issued }): Promise<ModelLicence> => {
      const [licence, usable] = await Promise.all([
        client.readContract({ address: vault, abi: modelVaultAbi, functionName: "licenseOf", args: [modelId, account] }),
        client.readContract({ address: vault, abi: modelVaultAbi, functionName: "hasAccess", args: [modelId, account] }),
      ]);
      return { account, issued, version: licence.version, expiresAt: licence.expiresAt, maxUses: licence.maxUses, used: licence.used, revoked: licence.revoked, usable };
    }),
  );
}

/** Whether `account` is the model's owner (false without an account). */
export function isOwner(account: Address | undefined, owner: Address): boolean {
  return account !== undefined && isAddressEqual(account, owner);
}
