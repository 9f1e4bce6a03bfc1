/**
 * The model owner's and the licensee's chain commands: `model terms|pause|unpause|retire|transfer|
 * accept`, `licence grant|revoke`, `earnings`, `withdraw`, `stake`, `unstake`. Each is a thin
 * layer over node/chain/owner-actions.ts and licensee-stake.ts: values are checked here (exit 2),
 * the library checks what the chain would refuse (exit 1, with its code), and the answer is the
 * transaction hash and the state read back after it. Reads (`earnings`, `model terms` without a
 * change) connect without an account, so they need no keystore.
 */
import { getAddress, isAddress, type Address } from "viem";
import { loadKeystore } from "../../crypto/index.js";
import {
  acceptOwnership,
  ActionRefusedError,
  changeStatus,
  connectChain,
  earningsOf,
  grantLicence,
  proposeOwner,
  requestUnstake,
  revokeLicence,
  setTerms,
  stakeForModel,
  withdrawEarnings,
  withdrawStake,
  type ChainClient,
  type License,
  type SentTx,
  type StakeInfo,
  type Terms,
} from "../chain/index.js";
import { loadConfig } from "../config.js";
import { ConfigError } from "../errors.js";
import { parseAmount, parseCount } from "./amounts.js";
import { chainWithIdentity, modelIdOf, type ChainCliOptions } from "./custody-commands.js";
import { identityPath } from "./identity.js";
import { printJson, printLines, type CliIo } from "./io.js";
import { UsageError } from "./usage-error.js";

const UINT32 = 2 ** 32 - 1;
const UINT40 = 2 ** 40 - 1;

/** An unknown model named on the command line is a bad value (exit 2), with its own code. */
async function refusing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ActionRefusedError && error.code === "UNKNOWN_MODEL") throw new UsageError(error.message, error.code);
    throw error;
  }
}

/** Runs `work` with a client sending from the node's keystore account; closes it after. */
async function asAccount<T>(options: ChainCliOptions, io: CliIo, work: (chain: ChainClient) => Promise<T>): Promise<T> {
  const { chain } = await chainWithIdentity(options, io);
  try {
    return await refusing(() => work(chain));
  } finally {
    await chain.close();
  }
}

/** A client without an account: reads need no keystore. */
async function reading<T>(options: ChainCliOptions, io: CliIo, work: (chain: ChainClient) => Promise<T>): Promise<T> {
  const flags = { config: options.config, dataDir: options.dataDir, rpcUrl: options.rpcUrl, deployment: options.deployment, confirmations: options.confirmations };
  const config = await loadConfig({ flags, env: io.env });
  if (config.chain === undefined) throw new ConfigError("no chain configured: pass --rpc-url (or set MODELVAULT_RPC_URL or chain.rpcUrl in the config)");
  const chain = await connectChain(config.chain);
  try {
    return await refusing(() => work(chain));
  } finally {
    await chain.close();
  }
}

function addressOf(text: string, what: string): Address {
  if (!isAddress(text, { strict: false })) throw new UsageError(`${what} is a 0x-prefixed 20-byte address, got ${JSON.stringify(text.slice(0, 80))}`);
  return getAddress(text);
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Seconds from "3600", "90s", "15m", "12h", "30d" or "2w". */
export function parseDuration(text: string, name: string, max = UINT32): number {
  const match = /^([0-9]{1,12})([smhdw]?)$/.exec(text.trim());
  const seconds = match === null ? Number.NaN : Number(match[1]) * UNIT_SECONDS[match[2] || "s"]!;
  if (!Number.isSafeInteger(seconds) || seconds > max) {
    throw new UsageError(`${name} is seconds or a duration like 12h, 30d or 2w (at most ${max} s), got ${JSON.stringify(text.slice(0, 80))}`);
  }
  return seconds;
}

const txHashOf = (tx: SentTx | null) => tx?.txHash ?? null;
const termsJson = (t: Terms) => ({ price: t.price.toString(), duration: t.duration, maxUses: t.maxUses, minStake: t.minStake.toString(), carryOver: t.carryOver });
const licenceJson = (l: License) => ({
  version: l.version, expiresAt: l.expiresAt, maxUses: l.maxUses, used: l.used, requiredStake: l.requiredStake.toString(), revoked: l.revoked,
});
const stakeJson = (s: StakeInfo) => ({
  modelId: s.modelId.toString(), account: s.account, staked: s.staked.toString(), unbonding: s.unbonding.toString(),
  unlockAt: Number(s.unlockAt), required: s.required.toString(), cooldown: Number(s.cooldown),
});
const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
const describeTerms = (t: Terms) =>
  `${t.price} wei, ${t.duration === 0 ? "no expiry" : `${t.duration} s`}, ${t.maxUses === 0 ? "unlimited" : t.maxUses} uses, ` +
  `min stake ${t.minStake} wei, ${t.carryOver ? "carries over to new versions" : "current version only"}`;
const describeLicence = (l: License) =>
  `${l.revoked ? "revoked" : "live"}, version ${l.version}, ${l.expiresAt === 0 ? "no expiry" : `expires ${iso(l.expiresAt)}`}, ` +
  `${l.used} of ${l.maxUses === 0 ? "unlimited" : l.maxUses} uses`;

export interface TermsCliOptions extends ChainCliOptions {
  price?: string;
  duration?: string;
  maxUses?: string;
  minStake?: string;
  carryOver?: boolean;
}

/** `model terms ID [--price --duration --max-uses --min-stake --carry-over|--no-carry-over]`: unset options keep their value. */
export async function termsCommand(modelIdText: string, options: TermsCliOptions, io: CliIo): Promise<void> {
  const modelId = modelIdOf(modelIdText);
  const changes: Partial<Terms> = {
    ...(options.price === undefined ? {} : { price: parseAmount(options.price, "--price", { max: 2n ** 128n - 1n }) }),
    ...(options.duration === undefined ? {} : { duration: parseDuration(options.duration, "--duration") }),
    ...(options.maxUses === undefined ? {} : { maxUses: parseCount(options.maxUses, "--max-uses", UINT32) }),
    ...(options.minStake === undefined ? {} : { minStake: parseAmount(options.minStake, "--min-stake", { max: 2n ** 96n - 1n }) }),
    ...(options.carryOver === undefined ? {} : { carryOver: options.carryOver }),
  };
  if (Object.keys(changes).length === 0) {
    // Nothing to change: show the terms, as a read.
    const terms = await reading(options, io, async (chain) => {
      const found = await chain.terms(modelId);
      if (found === null) throw new UsageError(`model ${modelId} is not registered`, "UNKNOWN_MODEL");
      return found;
    });
    if (options.json) printJson(io, { modelId: modelId.toString(), terms: termsJson(terms) });
    else printLines(io, [["model", modelId.toString()], ["terms", describeTerms(terms)]]);
    return;
  }
  const result = await asAccount(options, io, (chain) => setTerms(chain, modelId, changes));
  if (options.json) {
    printJson(io, { modelId: modelId.toString(), txHash: txHashOf(result.tx), changed: result.tx !== null, previous: termsJson(result.previous), terms: termsJson(result.terms) });
    return;
  }
  printLines(io, [
    ["model", modelId.toString()],
    ["terms", describeTerms(result.terms)],
    ["tx", result.tx?.txHash ?? "none (the terms are already these)"],
  ]);
}

export interface RetireCliOptions extends ChainCliOptions {
  yes?: boolean;
}

/** `model pause|unpause|retire ID`. */
export async function statusCommand(action: "pause" | "unpause" | "retire", modelIdText: string, options: RetireCliOptions, io: CliIo): Promise<void> {
  const modelId = modelIdOf(modelIdText);
  if (action === "retire" && options.yes !== true) {
    throw new UsageError(`retiring model ${modelId} cannot be undone (no more sales, grants, versions or term changes): run again with --yes`);
  }
  const { tx, status } = await asAccount(options, io, (chain) => changeStatus(chain, modelId, action));
  if (options.json) printJson(io, { modelId: modelId.toString(), txHash: tx.txHash, status });
  else printLines(io, [["model", modelId.toString()], ["status", status], ["tx", tx.txHash]]);
}

export interface TransferCliOptions extends ChainCliOptions {
  cancel?: boolean;
}

/** `model transfer ID ADDR` (step one; the new owner runs `model accept ID`), or `--cancel`. */
export async function transferCommand(modelIdText: string, to: string | undefined, options: TransferCliOptions, io: CliIo): Promise<void> {
  const modelId = modelIdOf(modelIdText);
  if ((to === undefined) === (options.cancel !== true)) throw new UsageError("give the new owner's address, or --cancel to withdraw a pending transfer");
  const target = to === undefined ? "0x0000000000000000000000000000000000000000" : addressOf(to, "the new owner");
  const result = await asAccount(options, io, (chain) => proposeOwner(chain, modelId, target));
  if (options.json) {
    printJson(io, { modelId: modelId.toString(), txHash: result.tx.txHash, owner: result.owner, pendingOwner: result.pendingOwner });
    return;
  }
  printLines(io, [
    ["model", modelId.toString()],
    ["owner", result.owner],
    ["pending owner", result.pendingOwner === null ? "none" : `${result.pendingOwner} (takes over with \`modelvault model accept ${modelId}\`)`],
    ["tx", result.tx.txHash],
  ]);
}

/** `model accept ID`: the proposed owner takes the model over. */
export async function acceptCommand(modelIdText: string, options: ChainCliOptions, io: CliIo): Promise<void> {
  const modelId = modelIdOf(modelIdText);
  const result = await asAccount(options, io, (chain) => acceptOwnership(chain, modelId));
  if (options.json) printJson(io, { modelId: modelId.toString(), txHash: result.tx.txHash, owner: result.owner, previousOwner: result.previousOwner });
  else printLines(io, [["model", modelId.toString()], ["owner", result.owner], ["previous owner", result.previousOwner], ["tx", result.tx.txHash]]);
}

export interface GrantCliOptions extends ChainCliOptions {
  expires?: string;
  uses?: string;
}

/** `licence grant ID ADDR [--expires UNIX|DURATION] [--uses N]`. */
export async function grantCommand(modelIdText: string, account: string, options: GrantCliOptions, io: CliIo): Promise<void> {
  const modelId = modelIdOf(modelIdText);
  const licensee = addressOf(account, "the licensee");
  const maxUses = options.uses === undefined ? 0 : parseCount(options.uses, "--uses", UINT32);
  // A plain number is a Unix time; with a unit (30d, 12h) it counts from the chain's time.
  const expires = options.expires?.trim();
  const absolute = expires !== undefined && /^[0-9]+$/.test(expires) ? parseCount(expires, "--expires", UINT40) : undefined;
  const relative = expires !== undefined && absolute === undefined ? parseDuration(expires, "--expires") : undefined;
  const result = await asAccount(options, io, async (chain) => {
    let expiresAt = absolute ?? 0;
    if (relative !== undefined) expiresAt = Number((await chain.publicClient.getBlock({ blockTag: "latest" })).timestamp) + relative;
    return grantLicence(chain, modelId, licensee, { expiresAt, maxUses });
  });
  printLicence(io, options, modelId, licensee, result);
}

/** `licence revoke ID ADDR`. */
export async function revokeCommand(modelIdText: string, account: string, options: ChainCliOptions, io: CliIo): Promise<void> {
  const modelId = modelIdOf(modelIdText);
  const licensee = addressOf(account, "the licensee");
  printLicence(io, options, modelId, licensee, await asAccount(options, io, (chain) => revokeLicence(chain, modelId, licensee)));
}

function printLicence(io: CliIo, options: ChainCliOptions, modelId: bigint, licensee: Address, result: { tx: SentTx; licence: License }) {
  if (options.json) printJson(io, { modelId: modelId.toString(), account: licensee, txHash: result.tx.txHash, licence: licenceJson(result.licence) });
  else printLines(io, [["model", modelId.toString()], ["licensee", licensee], ["licence", describeLicence(result.licence)], ["tx", result.tx.txHash]]);
}

/** The node's account, from its keystore's public address hint (no password needed to read). */
async function keystoreAddress(options: ChainCliOptions, io: CliIo): Promise<Address> {
  const config = await loadConfig({ flags: { config: options.config, dataDir: options.dataDir }, env: io.env });
  const keystore = await loadKeystore(identityPath(config.dataDir)).catch(() => undefined);
  if (keystore?.address === undefined || !isAddress(keystore.address, { strict: false })) {
    throw new UsageError(`no account to read: give an ADDRESS, or create this node's identity (\`modelvault node init\`) in ${config.dataDir}`);
  }
  return getAddress(keystore.address);
}

/** `earnings [ADDRESS]`: what the account (default: this node's) can withdraw; a read, no keystore password. */
export async function earningsCommand(account: string | undefined, options: ChainCliOptions, io: CliIo): Promise<void> {
  const who = account === undefined ? await keystoreAddress(options, io) : addressOf(account, "the account");
  const earnings = await reading(options, io, (chain) => earningsOf(chain, who));
  const pending = earnings.pending.map((p) => ({
    modelId: p.modelId.toString(), version: p.version, asOwner: p.asOwner.toString(), asCustodian: p.asCustodian.toString(), amount: p.amount.toString(),
  }));
  if (options.json) {
    printJson(io, { account: earnings.account, balance: earnings.balance.toString(), pending, total: earnings.total.toString() });
    return;
  }
  printLines(io, [
    ["account", earnings.account],
    ["balance", `${earnings.balance} wei (credited, withdrawable)`],
    ...earnings.pending.map((p): [string, string] => [
      `model ${p.modelId} v${p.version}`,
      `${p.amount} wei unclaimed${p.asOwner > 0n && p.asCustodian > 0n ? ` (${p.asOwner} as owner, ${p.asCustodian} as custodian)` : p.asOwner > 0n ? " (as owner)" : " (as custodian)"}`,
    ]),
    ["total", `${earnings.total} wei (\`modelvault withdraw\` pays it out)`],
  ]);
}

/** `withdraw`: claims every version's revenue, then withdraws the whole balance to this account. */
export async function withdrawCommand(options: ChainCliOptions, io: CliIo): Promise<void> {
  const { chain, identity } = await chainWithIdentity(options, io);
  let result;
  try {
    result = await withdrawEarnings(chain);
  } finally {
    await chain.close();
  }
  const claims = result.claims.map((c) => ({ modelId: c.modelId.toString(), version: c.version, amount: c.amount.toString(), txHash: c.txHash }));
  if (options.json) {
    printJson(io, { account: identity.address, amount: result.amount.toString(), txHash: result.withdraw.txHash, claims, gasCost: result.gasCost.toString() });
    return;
  }
  printLines(io, [
    ["withdrew", `${result.amount} wei to ${identity.address}`],
    ...result.claims.map((c): [string, string] => [`claimed model ${c.modelId} v${c.version}`, `${c.amount} wei (tx ${c.txHash})`]),
    ["gas", `${result.gasCost} wei`],
    ["tx", result.withdraw.txHash],
  ]);
}

function printStake(io: CliIo, options: ChainCliOptions, tx: SentTx, stake: StakeInfo, extra: Record<string, string> = {}) {
  if (options.json) {
    printJson(io, { ...stakeJson(stake), ...extra, txHash: tx.txHash });
    return;
  }
  printLines(io, [
    ["model", stake.modelId.toString()],
    ...Object.entries(extra).map(([k, v]): [string, string] => [k, `${v} wei`]),
    ["staked", `${stake.staked} wei${stake.required > 0n ? ` (${stake.required} required by the licence)` : ""}`],
    ["unbonding", stake.unbonding === 0n ? "0 wei" : `${stake.unbonding} wei, withdrawable from ${iso(Number(stake.unlockAt))} (\`modelvault unstake ${stake.modelId} --withdraw\`)`],
    ["tx", tx.txHash],
  ]);
}

/** `stake ID AMOUNT`: adds to this account's licensee stake for the model. */
export async function stakeCommand(modelIdText: string, amountText: string, options: ChainCliOptions, io: CliIo): Promise<void> {
  const modelId = modelIdOf(modelIdText);
  const amount = parseAmount(amountText, "AMOUNT", { min: 1n, max: 2n ** 128n - 1n });
  const { tx, stake } = await asAccount(options, io, (chain) => stakeForModel(chain, modelId, amount));
  printStake(io, options, tx, stake, { added: amount.toString() });
}

export interface UnstakeCliOptions extends ChainCliOptions {
  withdraw?: boolean;
}

/** `unstake ID AMOUNT` starts the cooldown for AMOUNT; `unstake ID --withdraw` takes out what finished it. */
export async function unstakeCommand(modelIdText: string, amountText: string | undefined, options: UnstakeCliOptions, io: CliIo): Promise<void> {
  const modelId = modelIdOf(modelIdText);
  if ((amountText === undefined) === (options.withdraw !== true)) {
    throw new UsageError("give an AMOUNT to start unbonding it, or --withdraw to take out the stake whose cooldown is over");
  }
  if (options.withdraw === true) {
    const { tx, amount, stake } = await asAccount(options, io, (chain) => withdrawStake(chain, modelId));
    printStake(io, options, tx, stake, { withdrawn: amount.toString() });
    return;
  }
  const amount = parseAmount(amountText!, "AMOUNT", { min: 1n, max: 2n ** 128n - 1n });
  const { tx, stake } = await asAccount(options, io, (chain) => requestUnstake(chain, modelId, amount));
  printStake(io, options, tx, stake, { requested: amount.toString() });
}
