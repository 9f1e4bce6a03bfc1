/**
 * The registerModel and publishVersion calls of a version, built from its manifest: one
 * implementation for the node (which sends them from its own account, or hands them to the
 * owner's wallet) and the SDK (which rebuilds the call a node hands it and sends it from the
 * wallet only when both agree). Pure: no client, no I/O.
 */
import { encodeFunctionData, type Address, type Hex } from "viem";
import { modelVaultAbi } from "./abi/ModelVault.js";
import { STORAGE_SEGMENT_SIZE } from "./storage-segment.js";
import type { Terms } from "./views.js";

/** What the chain records of a version (ModelRegistry.VersionParams). */
export interface VersionParams {
  manifestCid: string;
  weightsCommitment: bigint;
  ownerCommitment: bigint;
  storageRoot: Hex;
  segmentCount: number;
  custodians: readonly Address[];
  threshold: number;
}

/** The manifest fields the chain's record is built from (either manifest format). */
export interface ManifestRecordFields {
  weightsCommitment?: string | undefined;
  storage: { root: string };
  sealedSize: number;
  custodians: readonly Address[];
  threshold: number;
}

/** The version's record from its manifest, the same for both formats. */
export function versionParams(manifest: ManifestRecordFields, manifestCid: string, ownerCommitment: bigint | undefined): VersionParams {
  return {
    manifestCid,
    weightsCommitment: manifest.weightsCommitment === undefined ? 0n : BigInt(manifest.weightsCommitment),
    ownerCommitment: ownerCommitment ?? 0n,
    storageRoot: manifest.storage.root as Hex,
    // A directory's storage tree runs over its sealed files back to back: sealedSize counts its segments.
    segmentCount: Math.ceil(manifest.sealedSize / STORAGE_SEGMENT_SIZE),
    custodians: manifest.custodians,
    threshold: manifest.threshold,
  };
}

/** A ModelVault call: what viem's simulateContract/writeContract take, less the account. */
export type VersionCall =
  | { address: Address; abi: typeof modelVaultAbi; functionName: "registerModel"; args: readonly [VersionParams, Terms] }
  | { address: Address; abi: typeof modelVaultAbi; functionName: "publishVersion"; args: readonly [bigint, VersionParams] };

/** registerModel(params, terms) on the vault, or publishVersion(modelId, params) for a next version. */
export function versionCall(vault: Address, params: VersionParams, next: { terms: Terms } | { modelId: bigint }): VersionCall {
  return "modelId" in next
    ? { address: vault, abi: modelVaultAbi, functionName: "publishVersion", args: [next.modelId, params] }
    : { address: vault, abi: modelVaultAbi, functionName: "registerModel", args: [params, next.terms] };
}

/** The call's calldata, for a wallet that sends raw transactions. */
export function versionCallData(call: VersionCall): Hex {
  return call.functionName === "registerModel"
    ? encodeFunctionData({ abi: modelVaultAbi, functionName: "registerModel", args: [{ ...call.args[0], custodians: [...call.args[0].custodians] }, call.args[1]] })
    : encodeFunctionData({ abi: modelVaultAbi, functionName: "publishVersion", args: [call.args[0], { ...call.args[1], custodians: [...call.args[1].custodians] }] });
}
