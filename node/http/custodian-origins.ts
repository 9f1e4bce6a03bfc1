/**
 * The custodians' origins for the web app's connect-src: the licensee's page POSTs release
 * requests to each custodian's registered endpoint (CustodianRegistry), on its own origin. The
 * set follows CustodianRegistered and CustodianUpdated from the deployment block on, so a
 * custodian that registers (or moves) is allowed within one poll. Bounded: at most `max`
 * custodians are tracked; beyond that new ones are left out (and reported once), never the memory.
 */
import type { Address } from "viem";
import type { ChainClient, EventFollower } from "../chain/index.js";
import { originOf } from "./web-app.js";

/** More custodians than any deployment has; the CSP header stays a few kB at most. */
export const DEFAULT_MAX_CUSTODIAN_ORIGINS = 256;

export interface CustodianOrigins {
  /** The distinct http(s) origins of the custodians' current endpoints. */
  origins(): string[];
  stop(): Promise<void>;
}

export function followCustodianOrigins(
  chain: Pick<ChainClient, "followEvents" | "deploymentBlock">,
  options: { max?: number; onError?: (error: Error) => void } = {},
): CustodianOrigins {
  const max = options.max ?? DEFAULT_MAX_CUSTODIAN_ORIGINS;
  /** Per custodian, its latest endpoint's origin (undefined: not http(s)) and that log's position. */
  const byCustodian = new Map<string, { origin: string | undefined; at: bigint }>();
  let warned = false;
  const note = (custodian: Address, endpoint: string, at: bigint) => {
    const key = custodian.toLowerCase();
    const known = byCustodian.get(key);
    // The two followers run independently: an older log never overwrites a newer one.
    if (known !== undefined && known.at > at) return;
    if (known === undefined && byCustodian.size >= max) {
      if (!warned) options.onError?.(new Error(`more than ${max} custodians registered: the web app's connect-src lists the first ${max}`));
      warned = true;
      return;
    }
    byCustodian.set(key, { origin: originOf(endpoint), at });
  };
  const follow = (eventName: "CustodianRegistered" | "CustodianUpdated") =>
    chain.followEvents({
      contract: "custodians",
      eventName,
      fromBlock: chain.deploymentBlock,
      onError: options.onError,
      onLogs: (logs) => {
        for (const log of logs) {
          const { custodian, endpoint } = log.args as { custodian: Address; endpoint: string };
          note(custodian, endpoint, log.blockNumber * 1_000_000n + BigInt(log.logIndex));
        }
      },
    });
  const followers: EventFollower[] = [follow("CustodianRegistered"), follow("CustodianUpdated")];
  return {
    origins: () => [...new Set([...byCustodian.values()].flatMap((c) => c.origin ?? []))],
    async stop() {
      await Promise.all(followers.map((f) => f.stop()));
    },
  };
}
