/** Registry reads of one model: its state and terms, and a registered version. */
import { modelVaultAbi } from "../contracts/abi/ModelVault.js";
import type { ModelInfo, ModelStatus, ModelVersionInfo } from "./client-types.js";
import { checkModelId, type SdkContext } from "./context.js";
import { SdkError } from "./errors.js";

const MODEL_STATUS: readonly ModelStatus[] = ["active", "paused", "retired"];

export function modelReads({ publicClient, vault, read }: SdkContext) {
  return {
    /** Owner, current version, status and licence terms; UNKNOWN_MODEL when not registered. */
    async getModel(modelId: bigint): Promise<ModelInfo> {
      checkModelId(modelId);
      const [[owner, version, status], terms] = await Promise.all([
        read("modelState", () => publicClient.readContract({ address: vault, abi: modelVaultAbi, functionName: "modelState", args: [modelId] })),
        read("terms", () => publicClient.readContract({ address: vault, abi: modelVaultAbi, functionName: "terms", args: [modelId] })),
      ]);
      if (/^0x0{40}$/.test(owner)) throw new SdkError("UNKNOWN_MODEL", `model ${modelId} is not registered`);
      return {
        modelId, owner, version, status: MODEL_STATUS[status] ?? "retired",
        terms: { price: terms.price, duration: terms.duration, maxUses: terms.maxUses, minStake: terms.minStake, carryOver: terms.carryOver },
      };
    },

    /** A registered version: manifest CID, custodian set, threshold, commitments. */
    async getVersion(modelId: bigint, version: number): Promise<ModelVersionInfo> {
      checkModelId(modelId);
      if (!Number.isInteger(version) || version < 1 || version > 65535) throw new SdkError("INVALID_ARGUMENT", "version must be 1..65535");
      const v = await read("getVersion", () => publicClient.readContract({ address: vault, abi: modelVaultAbi, functionName: "getVersion", args: [modelId, version] }));
      if (v.manifestCid === "") throw new SdkError("UNKNOWN_MODEL", `model ${modelId} has no version ${version}`);
      return {
        manifestCid: v.manifestCid, custodians: v.custodians, threshold: v.threshold, weightsCommitment: v.weightsCommitment,
        ownerCommitment: v.ownerCommitment, storageRoot: v.storageRoot, segmentCount: v.segmentCount, publishedAt: v.publishedAt,
      };
    },
  };
}
