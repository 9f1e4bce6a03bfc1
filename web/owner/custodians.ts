/**
 * The chain's registered custodians, for the publish page's picker: CustodianRegistry keeps no
 * list, so the accounts come from its CustodianRegistered events (from the deployment's block,
 * in ranges an RPC provider accepts), each read back for its stake, endpoint and whether it is
 * active now (stake at least the minimum, not unbonding it all).
 */
import type { Address, PublicClient } from "viem";
import { custodianRegistryAbi, type ModelvaultDeployment } from "../../sdk/index.js";

export interface RegisteredCustodian {
  address: Address;
  stake: bigint;
  endpoint: string;
  active: boolean;
}

/** Largest eth_getLogs block range asked at once (what public RPC providers commonly accept). */
const BLOCK_RANGE = 2_000n;

export async function registeredCustodians(publicClient: PublicClient, deployment: ModelvaultDeployment): Promise<RegisteredCustodian[]> {
  const address = deployment.contracts.CustodianRegistry;
  const latest = await publicClient.getBlockNumber({ cacheTime: 0 });
  const accounts = new Map<string, Address>();
  for (let from = BigInt(deployment.blockNumber ?? 0); from <= latest; from += BLOCK_RANGE) {
    const toBlock = from + BLOCK_RANGE - 1n < latest ? from + BLOCK_RANGE - 1n : latest;
    const logs = await publicClient.getContractEvents({ address, abi: custodianRegistryAbi, eventName: "CustodianRegistered", fromBlock: from, toBlock, strict: true });
    for (const log of logs) accounts.set(log.args.custodian.toLowerCase(), log.args.custodian);
  }
  return Promise.all(
    [...accounts.values()].map(async (account): Promise<RegisteredCustodian> => {
      const [info, active] = await Promise.all([
        publicClient.readContract({ address, abi: custodianRegistryAbi, functionName: "custodianInfo", args: [account] }),
        publicClient.readContract({ address, abi: custodianRegistryAbi, functionName: "isActive", args: [account] }),
      ]);
      return { address: account, stake: info.stake, endpoint: info.endpoint, active };
    }),
  );
}
