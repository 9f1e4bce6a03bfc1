/**
 * Reading past logs over a ChainClient: contracts/log-scan.ts (one implementation for Node and the
 * browser SDK) with the client's public client and its typed chain errors.
 */
import type { Abi, Address } from "viem";
import * as shared from "../../contracts/log-scan.js";
import type { DecodedLog, ScanRange, Topics } from "../../contracts/log-scan.js";
import type { ChainClient } from "./client.js";
import { toChainError } from "./errors.js";

export { addressTopic, inChainOrder, selectorOf, uintTopic, type DecodedLog, type ScanRange, type Topics } from "../../contracts/log-scan.js";

/** The RPC URL the client's transport talks to (http and ws transports say), so errors never show its secrets. */
export function rpcUrlOf(chain: ChainClient): string | undefined {
  const url = (chain.publicClient.transport as { url?: unknown }).url;
  return typeof url === "string" ? url : undefined;
}

/** RPC failures as the node's chain errors (ChainUnavailableError, ChainRpcError, ChainRevertError ...). */
export const chainFailure = (chain: ChainClient) => {
  const rpcUrl = rpcUrlOf(chain);
  return (error: unknown, functionName: string): Error => toChainError(error, { rpcUrl, functionName });
};

/** Logs of `address` matching `topics`, over the range in steps, decoded with `abi` (logs it cannot decode are dropped). */
export function scanLogs(chain: ChainClient, abi: Abi, address: Address, topics: Topics, range: ScanRange): Promise<DecodedLog[]> {
  return shared.scanLogs(chain.publicClient, abi, address, topics, range, chainFailure(chain));
}

/** Unix times of blocks, each asked once, a few at a time. */
export function blockTimes(chain: ChainClient, blocks: Iterable<bigint>): Promise<Map<bigint, number>> {
  return shared.blockTimes(chain.publicClient, blocks, chainFailure(chain));
}
