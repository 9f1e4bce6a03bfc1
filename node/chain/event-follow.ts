/** ChainClient.followEvents: confirmed, decoded logs of the vault, challenges or custodian registry. */
import type { Abi, ContractEventName, GetContractEventsParameters, Log } from "viem";
import { custodianRegistryAbi, modelVaultAbi, storageChallengesAbi } from "../../contracts/abi/index.js";
import { uint } from "./arguments.js";
import type { ChainClient } from "./client-types.js";
import { integerOption, type ChainContext } from "./context.js";
import { followLogs } from "./follow.js";

const FOLLOWABLE = {
  vault: modelVaultAbi,
  challenges: storageChallengesAbi,
  custodians: custodianRegistryAbi,
} as const;

export type FollowableContract = keyof typeof FOLLOWABLE;
type AbiOf<C extends FollowableContract> = (typeof FOLLOWABLE)[C];
export type FollowedEventName<C extends FollowableContract> = ContractEventName<AbiOf<C>>;
/** A decoded, mined log of `eventName`. */
export type FollowedLog<C extends FollowableContract, E extends FollowedEventName<C>> = Log<
  bigint, number, false, undefined, true, AbiOf<C>, E
>;

export interface FollowEventsOptions<C extends FollowableContract, E extends FollowedEventName<C>> {
  contract: C;
  eventName: E;
  /** Filter on indexed arguments, e.g. { ticketId }. */
  args?: GetContractEventsParameters<AbiOf<C>, E>["args"];
  /** First block to scan (e.g. client.deploymentBlock, or a saved cursor). */
  fromBlock: bigint;
  /** Batches in chain order, each log once; awaited before the cursor moves on. */
  onLogs(logs: FollowedLog<C, E>[]): void | Promise<void>;
  /** Failed polls (retried with backoff); errors are typed (ChainUnavailableError, ...). */
  onError?: ((error: Error) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** Overrides the client's confirmations for this follower. */
  confirmations?: number | undefined;
  maxBlockRange?: number | undefined;
}

export function followCalls(ctx: ChainContext): Pick<ChainClient, "followEvents"> {
  const { publicClient, fail, confirmations, pollingInterval, maxBlockRange } = ctx;
  const { vault: vaultAddress, challenges: challengesAddress, custodians: custodiansAddress } = ctx.addresses;
  return {
    followEvents(follow) {
      const abi: Abi = FOLLOWABLE[follow.contract];
      const emitter = { vault: vaultAddress, challenges: challengesAddress, custodians: custodiansAddress }[follow.contract];
      type Followed = Parameters<typeof follow.onLogs>[0];
      return followLogs(
        {
          head: () => publicClient.getBlockNumber({ cacheTime: 0 }),
          fetch: async (fromBlock, toBlock) => {
            const logs = await publicClient.getContractEvents({
              address: emitter, abi, eventName: follow.eventName, args: follow.args, fromBlock, toBlock, strict: true,
            });
            // getContractEvents over the widened Abi loses the event's types; they are those of AbiOf<C>.
            return logs as unknown as Followed;
          },
        },
        {
          fromBlock: uint(follow.fromBlock, "fromBlock"),
          confirmations: integerOption(follow.confirmations, confirmations, "confirmations"),
          pollingIntervalMs: pollingInterval,
          maxBlockRange: integerOption(follow.maxBlockRange, maxBlockRange, "maxBlockRange", 1),
          onLogs: (logs) => follow.onLogs(logs),
          onError: follow.onError,
          signal: follow.signal,
          mapError: (error) => fail(error, "eth_getLogs"),
        },
      );
    },
  };
}
