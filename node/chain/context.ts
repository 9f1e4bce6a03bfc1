/**
 * What the chain client's call modules (model-calls, custodian-calls, event-follow) share: the
 * connected viem clients, the deployment's contracts and the read / transact paths built once
 * in createChainClient.
 */
import {
  getContract,
  isAddressEqual,
  parseEventLogs,
  type Abi,
  type Address,
  type Chain,
  type ContractEventName,
  type GetContractReturnType,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";
import {
  custodianRegistryAbi,
  licenseeStakingAbi,
  modelVaultAbi,
  proofAttestationsAbi,
  storageChallengesAbi,
} from "../../contracts/abi/index.js";
import type { Deployment } from "./deployment.js";
import { ChainConfigError, ChainRpcError } from "./errors.js";
import type { TxResult } from "./types.js";

export type ChainPublicClient = PublicClient<Transport, Chain>;
export type ChainWalletClient = WalletClient<Transport, Chain, LocalAccount>;

/** A read-only typed handle (viem getContract) of one deployed contract. */
type ReadContract<abi extends Abi> = GetContractReturnType<abi, ChainPublicClient, Address>;

/** Read-only typed handles of the deployed set; writes go through the client's methods. Spelled
 * out (not ReturnType of contractsOf): the inferred type is too large for declaration emit. */
export interface ChainContracts {
  vault: ReadContract<typeof modelVaultAbi>;
  custodians: ReadContract<typeof custodianRegistryAbi>;
  staking: ReadContract<typeof licenseeStakingAbi>;
  challenges: ReadContract<typeof storageChallengesAbi>;
  attestations: ReadContract<typeof proofAttestationsAbi> | null;
}

export function contractsOf(deployment: Deployment, client: ChainPublicClient): ChainContracts {
  const { contracts } = deployment;
  return {
    vault: getContract({ abi: modelVaultAbi, address: contracts.ModelVault, client }),
    custodians: getContract({ abi: custodianRegistryAbi, address: contracts.CustodianRegistry, client }),
    staking: getContract({ abi: licenseeStakingAbi, address: contracts.LicenseeStaking, client }),
    challenges: getContract({ abi: storageChallengesAbi, address: contracts.StorageChallenges, client }),
    attestations:
      contracts.ProofAttestations === null
        ? null
        : getContract({ abi: proofAttestationsAbi, address: contracts.ProofAttestations, client }),
  };
}

export interface ChainContext {
  readonly publicClient: ChainPublicClient;
  readonly contracts: ChainContracts;
  readonly addresses: { vault: Address; custodians: Address; challenges: Address; staking: Address };
  readonly deploymentBlock: bigint;
  /** The client's settled options (see ChainClientOptions). */
  readonly confirmations: number;
  readonly pollingInterval: number;
  readonly maxBlockRange: number;
  /** Maps any failure to the node's typed chain errors. */
  fail(error: unknown, functionName?: string): Error;
  /** Runs a read, its failure typed by `fail`. */
  read<T>(functionName: string, call: () => Promise<T>): Promise<T>;
  /** Simulates and sends (through `send`), then waits for the receipt with `confirmations`. */
  transact(functionName: string, send: (wallet: ChainWalletClient, from: LocalAccount) => Promise<Hex>): Promise<TransactionReceipt>;
  txOf(receipt: TransactionReceipt): TxResult;
}

export function integerOption(value: number | undefined, fallback: number, field: string, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new ChainConfigError(`${field}: must be an integer >= ${min}`, { field });
  return value;
}

/** The first `eventName` log that `address` emitted in the receipt. */
export function eventIn<const abi extends Abi, eventName extends ContractEventName<abi>>(
  receipt: TransactionReceipt,
  abi: abi,
  eventName: eventName,
  emitter: Address,
) {
  const logs = parseEventLogs({ abi, eventName, logs: receipt.logs.filter((log) => isAddressEqual(log.address, emitter)) });
  const log = logs[0];
  if (log === undefined) throw new ChainRpcError(`transaction ${receipt.transactionHash} emitted no ${eventName} event`);
  return log;
}
