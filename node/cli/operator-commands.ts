/**
 * The operator's and the auditor's commands: `custodian status` (read only: no keystore),
 * `custodian unbond AMOUNT`, `custodian withdraw`, and `audit once`. Each is a thin layer over
 * node/chain/custodian-actions.ts and node/custody/auditor.ts.
 */
import { join } from "node:path";
import { getAddress, isAddress, type Address } from "viem";
import { loadKeystore } from "../../crypto/index.js";
import { connectChain, custodianStatus, requestUnbond, withdrawCustodian, type ChainClient, type CustodianStatus } from "../chain/index.js";
import { loadConfig } from "../config.js";
import { Auditor, type AuditAction } from "../custody/auditor.js";
import { ConfigError } from "../errors.js";
import { parseAmount, parseCount } from "./amounts.js";
import { chainWithIdentity, type ChainCliOptions } from "./custody-commands.js";
import { identityPath } from "./identity.js";
import { printJson, printLines, type CliIo } from "./io.js";
import { apiClientFor } from "./model-client.js";
import { UsageError } from "./usage-error.js";

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
/** JSON with bigints as decimal strings. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));

/** Passes in a row in which every open challenge failed before `audit once` stops waiting. */
const STUCK_PASSES = 5;

/** Bond budget per day when none is given: ten bonds. */
export const DEFAULT_BUDGET_BONDS = 10n;

async function configOf(options: ChainCliOptions, io: CliIo) {
  const flags = { config: options.config, dataDir: options.dataDir, rpcUrl: options.rpcUrl, deployment: options.deployment, confirmations: options.confirmations };
  const config = await loadConfig({ flags, env: io.env });
  if (config.chain === undefined) throw new ConfigError("no chain configured: pass --rpc-url (or set MODELVAULT_RPC_URL or chain.rpcUrl in the config)");
  return { ...config, chain: config.chain };
}

interface SharesHeld {
  count: number;
  manifests: string[];
}

/** The shares the node's API says it holds, when that node is `account`'s; null when unknown. */
async function sharesOf(options: ChainCliOptions, io: CliIo, account: Address | undefined): Promise<{ custodian: Address; shares: SharesHeld } | { error: string }> {
  try {
    const client = await apiClientFor(options, io);
    const body = await client.json<{ custodian: Address; shares: { manifestCid: string }[] }>({ path: "/v1/custody/shares", signal: AbortSignal.timeout(5_000) });
    if (account !== undefined && getAddress(body.custodian) !== account) return { error: `the node's API is custodian ${body.custodian}, not ${account}` };
    return { custodian: getAddress(body.custodian), shares: { count: body.shares.length, manifests: body.shares.map((s) => s.manifestCid) } };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

export interface StatusCliOptions extends ChainCliOptions {
  account?: string;
}

export async function custodianStatusCommand(options: StatusCliOptions, io: CliIo): Promise<void> {
  if (options.account !== undefined && !isAddress(options.account, { strict: false })) {
    throw new UsageError(`--account must be an address (0x and 40 hex digits), got ${JSON.stringify(options.account.slice(0, 80))}`);
  }
  const config = await configOf(options, io);
  let account = options.account === undefined ? undefined : getAddress(options.account);
  // This node's address: from the keystore's public address field (no password), else the API's.
  if (account === undefined) {
    const keystore = await loadKeystore(identityPath(config.dataDir)).catch(() => undefined);
    if (keystore?.address !== undefined && isAddress(keystore.address, { strict: false })) account = getAddress(keystore.address);
  }
  const held = await sharesOf(options, io, account);
  if (account === undefined) {
    if ("error" in held) throw new UsageError(`no --account given and this node's address is unknown (no keystore in ${config.dataDir}, API: ${held.error})`);
    account = held.custodian;
  }
  const chain = await connectChain(config.chain);
  let status: CustodianStatus;
  try {
    status = await custodianStatus(chain, account);
  } finally {
    await chain.close();
  }
  const shares = "error" in held ? null : held.shares;
  if (options.json) {
    printJson(io, { ...(plain(status) as object), shares, ...("error" in held ? { sharesError: held.error } : {}) });
    return;
  }
  const c = status.challenges;
  const unbonding = status.unbondAt === null
    ? "none"
    : `${status.unbonding} wei, withdrawable from ${iso(status.unbondAt)}${status.withdrawable ? " (ready: `modelvault custodian withdraw`)" : status.openChallenges > 0 ? ` once ${status.openChallenges} open challenge(s) close` : ""}`;
  const b = status.revenue.balances;
  printLines(io, [
    ["custodian", status.account],
    ["registered", status.registered ? (status.active ? "yes, active" : `yes, inactive (bonded stake below the minimum ${status.minStake} wei)`) : "no"],
    ["stake", `${status.stake} wei bonded (minimum ${status.minStake} wei)`],
    ["unbonding", unbonding],
    ["endpoint", status.endpoint ?? "-"],
    ["challenges", `${c.total}: ${c.answered} answered, ${c.missed} missed, ${c.lapsed} lapsed, ${c.open} open; ${c.slashed} wei slashed, ${c.bondsEarned} wei of bonds earned`],
    ["shares", shares === null ? `unknown (${"error" in held ? held.error : ""})` : `${shares.count} held (node API)`],
    ["versions", status.versions.length === 0 ? "none" : status.versions.map((v) => `model ${v.modelId} v${v.version}`).join(", ")],
    ["revenue", `${status.revenue.pendingSales} wei of sales to claim; withdrawable: ${b.vault} wei sales (ModelVault), ${b.challenges} wei bonds (StorageChallenges), ${b.registry} wei slash rewards (CustodianRegistry)`],
  ]);
}

export async function custodianUnbondCommand(amountText: string, options: ChainCliOptions, io: CliIo): Promise<void> {
  const amount = parseAmount(amountText, "AMOUNT", { min: 1n, max: 2n ** 128n - 1n });
  const { chain } = await chainWithIdentity(options, io);
  try {
    const result = await requestUnbond(chain, amount);
    if (options.json) {
      printJson(io, plain(result));
      return;
    }
    printLines(io, [
      ["unbonding", `${result.unbonding} wei${result.restarted ? " (the earlier request's delay restarted with this one)" : ""}`],
      ["withdrawable", `from ${iso(result.unbondAt)} (\`modelvault custodian withdraw\`), if no challenge is open then`],
      ["bonded", `${result.stake} wei${result.active ? "" : ": below the minimum, this custodian is now inactive (no new version can name it)"}`],
      ["tx", result.txHash],
    ]);
  } finally {
    await chain.close();
  }
}

export async function custodianWithdrawCommand(options: ChainCliOptions, io: CliIo): Promise<void> {
  const { chain } = await chainWithIdentity(options, io);
  try {
    const result = await withdrawCustodian(chain);
    if (options.json) {
      printJson(io, plain(result));
      return;
    }
    const still = result.stillUnbonding;
    printLines(io, [
      ["stake", `${result.stake} wei withdrawn`],
      ["bonds", `${result.challengeBalance} wei withdrawn (StorageChallenges)`],
      ["rewards", `${result.registryBalance} wei withdrawn (CustodianRegistry)`],
      ...(still === null ? [] : [["unbonding", `${still.amount} wei still locked ${still.reason === "delay" ? `until ${iso(still.unbondAt)}` : "by open challenges"}`] as [string, string]]),
      ...result.txHashes.map((hash): [string, string] => ["tx", hash]),
    ]);
  } finally {
    await chain.close();
  }
}

export interface AuditCliOptions extends ChainCliOptions {
  budget?: string;
  pairs?: string;
  wait?: boolean;
  poll?: string;
}

/** The bond budget per day: --budget, or DEFAULT_BUDGET_BONDS bonds. */
export async function auditBudgetOf(chain: ChainClient, text: string | undefined, flag: string): Promise<bigint> {
  if (text !== undefined) return parseAmount(text, flag);
  return DEFAULT_BUDGET_BONDS * (await chain.contracts.challenges.read.bond());
}

/** One line per audit action: on stderr (the node's log), JSON lines with --json. */
export function auditLogger(io: CliIo, json: boolean | undefined): (action: AuditAction) => void {
  return (action) => io.stderr.write(json ? `${JSON.stringify({ event: "audit", ...action })}\n` : `${action.message}\n`);
}

/**
 * One audit pass: moves earlier challenges of the journal on, opens up to --pairs new ones
 * within the budget, then (unless --no-wait) follows them to their end: reveal after the seed
 * block, answered or slashed after the response window.
 */
export async function auditOnceCommand(options: AuditCliOptions, io: CliIo): Promise<void> {
  const pairs = options.pairs === undefined ? 1 : parseCount(options.pairs, "--pairs", 1000);
  const pollMs = options.poll === undefined ? 2_000 : parseCount(options.poll, "--poll", 600_000);
  const { chain, config } = await chainWithIdentity(options, io);
  try {
    const budgetPerDay = await auditBudgetOf(chain, options.budget, "--budget");
    const log = auditLogger(io, options.json);
    const auditor = await Auditor.open({ chain, dataDir: config.dataDir, budgetPerDay, pairs, onAction: log });
    const actions = await auditor.round();
    if (options.wait !== false) {
      // Until every challenge is closed, or every open one failed in STUCK_PASSES passes in a row (the journal keeps them).
      let stuck = 0;
      while (auditor.openChallenges().length > 0 && stuck < STUCK_PASSES && !io.signal?.aborted) {
        await new Promise((resolve) => setTimeout(resolve, pollMs));
        const open = auditor.openChallenges().length;
        const pass = await auditor.advance();
        actions.push(...pass);
        stuck = pass.filter((a) => a.action === "error").length >= open ? stuck + 1 : 0;
      }
    }
    const open = auditor.openChallenges().map((e) => ({ challengeId: e.challengeId ?? null, modelId: e.modelId, custodian: e.custodian, state: e.state, deadlineBlock: e.deadlineBlock ?? null }));
    const summary = {
      auditor: chain.address,
      budgetPerDay: budgetPerDay.toString(),
      spentToday: auditor.spentToday().toString(),
      journal: join(config.dataDir, "audit-journal.json"),
      actions,
      open,
    };
    if (options.json) printJson(io, summary);
    else printLines(io, [
      ["actions", `${actions.filter((a) => a.action !== "error").length} (${actions.filter((a) => a.action === "error").length} errors)`],
      ["spent", `${summary.spentToday} of ${summary.budgetPerDay} wei in the last 24 h`],
      ["open", open.length === 0 ? "none" : open.map((o) => `challenge ${o.challengeId ?? "(sending)"} ${o.state}`).join(", ")],
    ]);
  } finally {
    await chain.close();
  }
}
