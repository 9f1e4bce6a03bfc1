/** ChainClient's ModelVault calls: registry and licence reads, tickets, and the owner's and licensee's writes. */
import { zeroAddress } from "viem";
import { modelVaultAbi } from "../../contracts/abi/index.js";
import { address, bytes32, compressedKey, uint, uint16 } from "./arguments.js";
import type { ChainClient } from "./client-types.js";
import { eventIn, type ChainContext } from "./context.js";
import { ChainRevertError } from "./errors.js";
import { MODEL_STATUS } from "./types.js";

export type ModelCalls = Pick<
  ChainClient,
  | "modelState" | "version" | "terms" | "licenseOf" | "ticket" | "ticketBlock" | "storageCommitment"
  | "registerModel" | "publishVersion" | "buy" | "grant" | "revoke" | "requestKey"
>;

export function modelCalls(ctx: ChainContext): ModelCalls {
  const { publicClient, contracts, deploymentBlock, maxBlockRange, read, transact, txOf } = ctx;
  const vaultAddress = ctx.addresses.vault;
  const calls: ModelCalls = {
    async modelState(modelId) {
      const [owner, version, status] = await read("modelState", () => contracts.vault.read.modelState([uint(modelId, "modelId")]));
      if (owner === zeroAddress) return null;
      return { owner, version, status: MODEL_STATUS[status] ?? "retired" };
    },

    async version(modelId, version) {
      try {
        const v = await read("getVersion", () => contracts.vault.read.getVersion([uint(modelId, "modelId"), uint16(version, "version")]));
        return {
          manifestCid: v.manifestCid, storageRoot: v.storageRoot, segmentCount: v.segmentCount, threshold: v.threshold,
          custodians: v.custodians, weightsCommitment: v.weightsCommitment, ownerCommitment: v.ownerCommitment,
          publishedAt: v.publishedAt,
        };
      } catch (error) {
        if (error instanceof ChainRevertError && error.errorName === "UnknownModel") return null;
        throw error;
      }
    },

    async terms(modelId) {
      const [state, terms] = await Promise.all([
        calls.modelState(modelId),
        read("terms", () => contracts.vault.read.terms([uint(modelId, "modelId")])),
      ]);
      if (state === null) return null;
      return { price: terms.price, duration: terms.duration, maxUses: terms.maxUses, minStake: terms.minStake, carryOver: terms.carryOver };
    },

    async licenseOf(modelId, licensee) {
      const l = await read("licenseOf", () => contracts.vault.read.licenseOf([uint(modelId, "modelId"), address(licensee, "account")]));
      if (l.version === 0) return null;
      return {
        expiresAt: l.expiresAt, maxUses: l.maxUses, used: l.used, version: l.version, nonce: l.nonce,
        requiredStake: l.requiredStake, revoked: l.revoked,
      };
    },

    async ticket(ticketId) {
      try {
        const t = await read("ticket", () => contracts.vault.read.ticket([bytes32(ticketId, "ticketId")]));
        return {
          modelId: t.modelId, version: t.version, licensee: t.licensee, recipientKey: t.recipientKey,
          expiresAt: t.expiresAt, licenceLive: t.licenceLive, valid: t.valid,
        };
      } catch (error) {
        if (error instanceof ChainRevertError && error.errorName === "UnknownTicket") return null;
        throw error;
      }
    },

    async ticketBlock(ticketId, options = {}) {
      bytes32(ticketId, "ticketId");
      const floor = options.fromBlock ?? deploymentBlock;
      // Tickets live for ticketTtl: a custodian asks about recent ones, so scan back from the head.
      let to = await read("eth_blockNumber", () => publicClient.getBlockNumber({ cacheTime: 0 }));
      while (to >= floor) {
        const from = to - BigInt(maxBlockRange) + 1n > floor ? to - BigInt(maxBlockRange) + 1n : floor;
        const logs = await read("eth_getLogs", () =>
          contracts.vault.getEvents.KeyRequested({ ticketId }, { fromBlock: from, toBlock: to, strict: true }),
        );
        const found = logs[0];
        if (found !== undefined) return found.blockNumber;
        to = from - 1n;
      }
      return null;
    },

    async storageCommitment(modelId, version) {
      const [storageRoot, segmentCount] = await read("storageCommitment", () =>
        contracts.vault.read.storageCommitment([uint(modelId, "modelId"), uint16(version, "version")]),
      );
      return { storageRoot, segmentCount };
    },

    async registerModel(params, terms) {
      const receipt = await transact("registerModel", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: vaultAddress, abi: modelVaultAbi, functionName: "registerModel", args: [params, terms], account: from,
        });
        return wallet.writeContract(request);
      });
      const event = eventIn(receipt, modelVaultAbi, "ModelRegistered", vaultAddress);
      return { modelId: event.args.modelId, ...txOf(receipt) };
    },

    async publishVersion(modelId, params) {
      uint(modelId, "modelId");
      const receipt = await transact("publishVersion", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: vaultAddress, abi: modelVaultAbi, functionName: "publishVersion", args: [modelId, params], account: from,
        });
        return wallet.writeContract(request);
      });
      const event = eventIn(receipt, modelVaultAbi, "VersionPublished", vaultAddress);
      return { version: event.args.version, ...txOf(receipt) };
    },

    async buy(modelId) {
      uint(modelId, "modelId");
      const receipt = await transact("buy", async (wallet, from) => {
        // Read inside the send slot, so the price paid is the one simulated against.
        const { price } = await contracts.vault.read.terms([modelId]);
        const { request } = await publicClient.simulateContract({
          address: vaultAddress, abi: modelVaultAbi, functionName: "buy", args: [modelId], value: price, account: from,
        });
        return wallet.writeContract(request);
      });
      const { args } = eventIn(receipt, modelVaultAbi, "LicensePurchased", vaultAddress);
      return { price: args.price, version: args.version, expiresAt: args.expiresAt, maxUses: args.maxUses, ...txOf(receipt) };
    },

    async grant(modelId, licensee, limits = {}) {
      uint(modelId, "modelId");
      address(licensee, "account");
      const receipt = await transact("grant", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: vaultAddress, abi: modelVaultAbi, functionName: "grant",
          args: [modelId, licensee, limits.expiresAt ?? 0, limits.maxUses ?? 0], account: from,
        });
        return wallet.writeContract(request);
      });
      return txOf(receipt);
    },

    async revoke(modelId, licensee) {
      uint(modelId, "modelId");
      address(licensee, "account");
      const receipt = await transact("revoke", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: vaultAddress, abi: modelVaultAbi, functionName: "revoke", args: [modelId, licensee], account: from,
        });
        return wallet.writeContract(request);
      });
      return txOf(receipt);
    },

    async requestKey(modelId, recipientKey) {
      uint(modelId, "modelId");
      const key = compressedKey(recipientKey, "recipientKey");
      const receipt = await transact("requestKey", async (wallet, from) => {
        const { request } = await publicClient.simulateContract({
          address: vaultAddress, abi: modelVaultAbi, functionName: "requestKey", args: [modelId, key], account: from,
        });
        return wallet.writeContract(request);
      });
      const { args } = eventIn(receipt, modelVaultAbi, "KeyRequested", vaultAddress);
      return { ticketId: args.ticketId, version: args.version, expiresAt: args.expiresAt, ...txOf(receipt) };
    },
  };
  return calls;
}
