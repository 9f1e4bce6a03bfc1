/**
 * Reading past logs, for the registry views (contracts/views.ts) in Node and in the browser alike:
 * raw eth_getLogs over [fromBlock, toBlock] in ranges an RPC provider accepts, with topic filters
 * (an OR list per position) that several events of a contract share, decoded with the contract's
 * ABI. No filters (eth_newFilter): plain queries. Pure: a viem PublicClient and nothing of Node.
 */
import { formatLog, numberToHex, pad, parseEventLogs, toEventSelector, type Abi, type Address, type Hex, type Log, type PublicClient, type RpcLog } from "viem";

/** Largest eth_getLogs block range by default (node/chain/client.ts's DEFAULT_MAX_BLOCK_RANGE). */
export const DEFAULT_SCAN_BLOCK_RANGE = 2_000;

/** eth_getLogs topics: per position a topic, any of several, or anything (null). */
export type Topics = (Hex | Hex[] | null)[];

export interface ScanRange {
  fromBlock: bigint;
  toBlock: bigint;
  /** Largest block range per request (default DEFAULT_SCAN_BLOCK_RANGE). */
  maxBlockRange?: number | undefined;
}

/** A decoded log: where it is, which event, and its arguments by name. */
export interface DecodedLog {
  address: Address;
  blockNumber: bigint;
  logIndex: number;
  transactionHash: Hex;
  eventName: string;
  args: Record<string, unknown>;
}

/** How an RPC failure is reported: the caller's typed error (ChainRpcError in Node, SdkError in the SDK). */
export type RpcFailure = (error: unknown, functionName: string) => Error;

/** The 32-byte topic of an indexed uint256 (a model or challenge id). */
export const uintTopic = (value: bigint): Hex => pad(numberToHex(value), { size: 32 });
/** The 32-byte topic of an indexed address. */
export const addressTopic = (account: Address): Hex => pad(account.toLowerCase() as Hex, { size: 32 });

/** The topic0 of `eventName` in `abi`. */
export function selectorOf(abi: Abi, eventName: string): Hex {
  const item = abi.find((entry) => entry.type === "event" && entry.name === eventName);
  if (item === undefined || item.type !== "event") throw new Error(`no event ${eventName} in the ABI`);
  return toEventSelector(item);
}

/** Logs of `address` matching `topics`, over the range in steps, decoded with `abi` (logs it cannot decode are dropped). */
export async function scanLogs(
  publicClient: PublicClient, abi: Abi, address: Address, topics: Topics, range: ScanRange, fail: RpcFailure,
): Promise<DecodedLog[]> {
  const step = BigInt(Math.max(1, Math.floor(range.maxBlockRange ?? DEFAULT_SCAN_BLOCK_RANGE)));
  const raw: Log[] = [];
  for (let from = range.fromBlock; from <= range.toBlock; from += step) {
    const to = from + step - 1n < range.toBlock ? from + step - 1n : range.toBlock;
    let logs: RpcLog[];
    try {
      logs = (await publicClient.request({
        method: "eth_getLogs",
        params: [{ address, fromBlock: numberToHex(from), toBlock: numberToHex(to), topics }],
      })) as RpcLog[];
    } catch (error) {
      throw fail(error, "eth_getLogs");
    }
    for (const log of logs) raw.push(formatLog(log) as Log);
  }
  const decoded = parseEventLogs({ abi, logs: raw, strict: true }) as unknown as (Log & { eventName: string; args: Record<string, unknown> })[];
  return decoded.map((log) => ({
    address: log.address,
    blockNumber: log.blockNumber ?? 0n,
    logIndex: log.logIndex ?? 0,
    transactionHash: log.transactionHash ?? "0x",
    eventName: log.eventName,
    args: { ...log.args },
  }));
}

/** Chain order, each log once (several queries may return the same log). */
export function inChainOrder<L extends DecodedLog>(logs: L[]): L[] {
  const seen = new Map<string, L>();
  for (const log of logs) seen.set(`${log.blockNumber}:${log.logIndex}`, log);
  return [...seen.values()].sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
}

/** Unix times of blocks, each asked once, a few at a time. */
export async function blockTimes(publicClient: PublicClient, blocks: Iterable<bigint>, fail: RpcFailure): Promise<Map<bigint, number>> {
  const times = new Map<bigint, number>();
  const wanted = [...new Set(blocks)];
  for (let i = 0; i < wanted.length; i += 16) {
    const batch = wanted.slice(i, i + 16);
    let found: { number: bigint; timestamp: bigint }[];
    try {
      found = await Promise.all(batch.map((blockNumber) => publicClient.getBlock({ blockNumber })));
    } catch (error) {
      throw fail(error, "eth_getBlockByNumber");
    }
    for (const block of found) times.set(block.number, Number(block.timestamp));
  }
  return times;
}
