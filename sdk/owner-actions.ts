/**
 * A model owner's actions from the wallet: change terms, grant and revoke licences, see and
 * withdraw earnings. The checks before sending are the node's own (contracts/owner-rules.ts):
 * the same refusal codes whether `modelvault terms` or a web page asks, as SdkErrors.
 */
import { isAddress, isAddressEqual, parseEventLogs, zeroAddress, type Address, type Hex, type TransactionReceipt } from "viem";
import { modelVaultAbi } from "../contracts/abi/ModelVault.js";
import {
  earningsOf, expiryRefusal, mergeTerms, ownershipRefusal, revertRefusal, revokeRefusal, statusChangeRefusal, withdrawRefusal,
  type Earnings, type OwnedState, type Refusal,
} from "../contracts/owner-rules.js";
import { MODEL_STATUS, type ModelStatus, type Terms } from "../contracts/views.js";
import { addressOf, checkModelId, type SdkContext } from "./context.js";
import { SdkError } from "./errors.js";

export type { Earnings, PendingRevenue } from "../contracts/owner-rules.js";

export interface OwnerTx {
  txHash: Hex;
  blockNumber: bigint;
}

export interface LicenceState {
  expiresAt: number;
  maxUses: number;
  used: number;
  version: number;
  revoked: boolean;
}

function refuse(refusal: Refusal | undefined): void {
  if (refusal !== undefined) throw new SdkError(refusal.code, refusal.message);
}

function checkAccount(account: Address): Address {
  if (typeof account !== "string" || !isAddress(account) || isAddressEqual(account, zeroAddress)) throw new SdkError("INVALID_ARGUMENT", "account must be a non-zero address");
  return account;
}

const txOf = (receipt: TransactionReceipt): OwnerTx => ({ txHash: receipt.transactionHash, blockNumber: receipt.blockNumber });

export function ownerActionCalls(ctx: SdkContext) {
  const { publicClient, vault, read, transact } = ctx;
  const readVault = <T>(functionName: string, args: readonly unknown[]) =>
    read(functionName, () => publicClient.readContract({ address: vault, abi: modelVaultAbi, functionName, args } as Parameters<typeof publicClient.readContract>[0]) as Promise<T>);
  /** Sends; a revert that still happens (a race) is the same refusal the checks give. */
  async function send(functionName: string, args: readonly unknown[], modelId?: bigint): Promise<TransactionReceipt> {
    try {
      return await transact(functionName, (account) =>
        publicClient.simulateContract({ address: vault, abi: modelVaultAbi, functionName, args, account } as Parameters<typeof publicClient.simulateContract>[0]),
      );
    } catch (error) {
      const revert = error instanceof SdkError && error.details.errorName !== undefined ? revertRefusal(error.details.errorName, error.details.errorArgs ?? [], modelId) : undefined;
      if (revert !== undefined) throw new SdkError(revert.code, revert.message, { errorName: (error as SdkError).details.errorName! }, { cause: error });
      throw error;
    }
  }

  async function stateOf(modelId: bigint): Promise<(OwnedState & { version: number }) | null> {
    const [owner, version, status] = await readVault<readonly [Address, number, number]>("modelState", [modelId]);
    return owner === zeroAddress ? null : { owner, version, status: MODEL_STATUS[status] ?? "retired" };
  }

  /** The wallet's account, checked to own the model (retired allowed only where the contract allows it). */
  async function owned(modelId: bigint, options: { allowRetired?: boolean } = {}): Promise<Address> {
    checkModelId(modelId);
    const me = addressOf(await ctx.sender());
    refuse(ownershipRefusal(modelId, await stateOf(modelId), me, options));
    return me;
  }

  async function licenceOf(modelId: bigint, account: Address): Promise<LicenceState | null> {
    const l = await readVault<LicenceState & { nonce: number; requiredStake: bigint }>("licenseOf", [modelId, account]);
    return l.version === 0 ? null : { expiresAt: l.expiresAt, maxUses: l.maxUses, used: l.used, version: l.version, revoked: l.revoked };
  }

  const termsOf = (modelId: bigint) => readVault<Terms>("terms", [modelId]);

  const earningsFor = (who: Address): Promise<Earnings> =>
    earningsOf({
      modelCount: () => readVault<bigint>("modelCount", []),
      balanceOf: (a) => readVault<bigint>("balanceOf", [a]),
      modelState: stateOf,
      pendingRevenue: (modelId, version, a) => readVault<bigint>("pendingRevenue", [modelId, version, a]),
      ownerRevenue: async (modelId, version) => (await readVault<readonly [bigint, bigint]>("revenue", [modelId, version]))[0],
    }, who);

  return {
    /** New terms merged over the current ones; no transaction (tx null) when nothing changes. */
    async setTerms(modelId: bigint, changes: Partial<Terms>): Promise<{ tx: OwnerTx | null; previous: Terms; terms: Terms }> {
      await owned(modelId);
      const previous = { ...(await termsOf(modelId)) };
      const { terms, changed } = mergeTerms(previous, changes);
      if (!changed) return { tx: null, previous, terms };
      const receipt = await send("setTerms", [modelId, terms], modelId);
      return { tx: txOf(receipt), previous, terms: { ...(await termsOf(modelId)) } };
    },

    /** A free licence for `account` (expiresAt in unix seconds, 0 = none; maxUses 0 = unlimited); read back after. */
    async grantLicence(modelId: bigint, account: Address, limits: { expiresAt?: number; maxUses?: number } = {}): Promise<{ tx: OwnerTx; licence: LicenceState }> {
      checkAccount(account);
      await owned(modelId);
      const expiresAt = limits.expiresAt ?? 0;
      if (expiresAt !== 0) {
        const { timestamp } = await read("getBlock", () => publicClient.getBlock({ blockTag: "latest" }));
        refuse(expiryRefusal(expiresAt, timestamp));
      }
      const receipt = await send("grant", [modelId, account, expiresAt, limits.maxUses ?? 0], modelId);
      return { tx: txOf(receipt), licence: (await licenceOf(modelId, account))! };
    },

    /** Revokes `account`'s licence: no more tickets, and its outstanding tickets stop being live. */
    async revokeLicence(modelId: bigint, account: Address): Promise<{ tx: OwnerTx; licence: LicenceState }> {
      checkAccount(account);
      await owned(modelId, { allowRetired: true });
      refuse(revokeRefusal(modelId, account, await licenceOf(modelId, account)));
      const receipt = await send("revoke", [modelId, account], modelId);
      return { tx: txOf(receipt), licence: (await licenceOf(modelId, account))! };
    },

    /** What `account` (default: the wallet's) can withdraw: balance plus every version's unclaimed revenue. */
    async earnings(account?: Address): Promise<Earnings> {
      return earningsFor(account === undefined ? addressOf(await ctx.sender()) : checkAccount(account));
    },

    /** Claims every version's revenue into the balance, then withdraws it all to the wallet. */
    async withdrawEarnings(): Promise<{ amount: bigint; claims: (OwnerTx & { modelId: bigint; version: number })[]; withdraw: OwnerTx }> {
      const me = addressOf(await ctx.sender());
      const earnings = await earningsFor(me);
      refuse(withdrawRefusal(earnings));
      const claims: (OwnerTx & { modelId: bigint; version: number })[] = [];
      for (const p of earnings.pending) {
        try {
          claims.push({ ...txOf(await send("claimRevenue", [p.modelId, p.version], p.modelId)), modelId: p.modelId, version: p.version });
        } catch (error) {
          // Claimed in between (another client of the same account): the balance has it already.
          if (!(error instanceof SdkError && error.details.errorName === "NothingToClaim")) throw error;
        }
      }
      const receipt = await send("withdraw", []);
      const [log] = parseEventLogs({ abi: modelVaultAbi, eventName: "Withdrawn", logs: receipt.logs.filter((l) => isAddressEqual(l.address, vault)) });
      return { amount: log?.args.amount ?? 0n, claims, withdraw: txOf(receipt) };
    },

    /** pause (sales halt, licences keep working), unpause, or retire (for good); the status read back. */
    async changeStatus(modelId: bigint, action: "pause" | "unpause" | "retire"): Promise<{ tx: OwnerTx; status: ModelStatus }> {
      await owned(modelId);
      refuse(statusChangeRefusal(modelId, (await stateOf(modelId))!.status, action));
      const receipt = await send(action, [modelId], modelId);
      return { tx: txOf(receipt), status: (await stateOf(modelId))!.status };
    },
  };
}
