/** `modelvault node init` and `modelvault node start`. */
import { once } from "node:events";
import { loadConfig, type ConfigFlags } from "../config.js";
import { ConfigError } from "../errors.js";
import { parseAmount, parseCount } from "./amounts.js";
import { createIdentity, readIdentityKeystore, resolvePassword, unlockIdentity } from "./identity.js";
import { printJson, printLines, type CliIo } from "./io.js";
import { UsageError } from "./usage-error.js";

export interface CommonOptions {
  json?: boolean;
  api?: string;
  config?: string;
  dataDir?: string;
}

export interface InitOptions extends CommonOptions {
  passwordFile?: string;
  scryptN?: string;
}

export async function nodeInit(options: InitOptions, io: CliIo): Promise<void> {
  const config = await loadConfig({ flags: { config: options.config, dataDir: options.dataDir }, env: io.env });
  const scryptN = options.scryptN === undefined ? undefined : Number(options.scryptN);
  if (scryptN !== undefined && !Number.isSafeInteger(scryptN)) throw new ConfigError(`--scrypt-n must be an integer, got ${options.scryptN}`);
  const password = await resolvePassword(options.passwordFile, io.env);
  const created = await createIdentity(config.dataDir, password, scryptN);
  if (options.json) {
    printJson(io, { address: created.identity.address, mnemonic: created.mnemonic, keystore: created.path });
    return;
  }
  printLines(io, [
    ["address", created.identity.address],
    ["keystore", created.path],
  ]);
  io.stdout.write(
    "\nRecovery phrase (shown once, never stored; anyone with it controls this node's identity):\n\n" +
      `  ${created.mnemonic}\n\n` +
      "Write it down offline. The keystore opens with your password only.\n",
  );
}

export interface StartOptions extends CommonOptions {
  apiHost?: string;
  apiPort?: string;
  listen?: string[];
  peer?: string[];
  gateway?: string[];
  bodyLimit?: string;
  fetchTimeout?: string;
  passwordFile?: string;
  rpcUrl?: string;
  deployment?: string;
  confirmations?: string;
  audit?: boolean;
  auditBudget?: string;
  auditPairs?: string;
  auditInterval?: string;
  auditPoll?: string;
}

/** --audit and its options: checked before anything starts. */
function auditOptionsOf(options: StartOptions, io: CliIo) {
  const given = [options.auditBudget, options.auditPairs, options.auditInterval, options.auditPoll].some((v) => v !== undefined);
  if (!options.audit) {
    if (given) throw new UsageError("--audit-budget, --audit-pairs, --audit-interval and --audit-poll go with --audit");
    return undefined;
  }
  return {
    ...(options.auditBudget === undefined ? {} : { budgetPerDay: parseAmount(options.auditBudget, "--audit-budget") }),
    ...(options.auditPairs === undefined ? {} : { pairs: parseCount(options.auditPairs, "--audit-pairs", 1000) }),
    ...(options.auditInterval === undefined ? {} : { intervalMs: parseCount(options.auditInterval, "--audit-interval", 30 * 86_400) * 1000 }),
    ...(options.auditPoll === undefined ? {} : { pollMs: parseCount(options.auditPoll, "--audit-poll", 3_600_000) }),
    // One line per action on stderr, the node's log (JSON lines with --json).
    onAction: (action: { message: string }) => io.stderr.write(options.json ? `${JSON.stringify({ event: "audit", ...action })}\n` : `${action.message}\n`),
  };
}

/** `--api http://host:port` on `node start` is where to listen. */
function apiBind(api: string | undefined): Pick<ConfigFlags, "apiHost" | "apiPort"> {
  if (api === undefined) return {};
  let url: URL;
  try {
    url = new URL(api);
  } catch {
    throw new ConfigError(`--api must be a URL like http://127.0.0.1:5480, got ${JSON.stringify(api)}`);
  }
  return { apiHost: url.hostname.replace(/^\[|\]$/g, ""), ...(url.port === "" ? {} : { apiPort: url.port }) };
}

/** Runs the node until SIGINT/SIGTERM (or io.signal), then stops everything. */
export async function nodeStart(options: StartOptions, io: CliIo): Promise<void> {
  const audit = auditOptionsOf(options, io);
  const config = await loadConfig({
    flags: {
      config: options.config,
      dataDir: options.dataDir,
      ...apiBind(options.api),
      ...(options.apiHost === undefined ? {} : { apiHost: options.apiHost }),
      ...(options.apiPort === undefined ? {} : { apiPort: options.apiPort }),
      listen: options.listen,
      peers: options.peer,
      gateways: options.gateway,
      bodyLimit: options.bodyLimit,
      fetchTimeoutMs: options.fetchTimeout,
      rpcUrl: options.rpcUrl,
      deployment: options.deployment,
      confirmations: options.confirmations,
    },
    env: io.env,
  });
  if (audit !== undefined && config.chain === undefined) throw new ConfigError("--audit needs a chain: pass --rpc-url (or set chain.rpcUrl in the config)");
  const password = await resolvePassword(options.passwordFile, io.env);
  const keystore = await readIdentityKeystore(config.dataDir);
  // The keystore's scrypt runs on libuv's thread pool while the main thread loads Helia, libp2p
  // and fastify (only here): together they are most of the time to a listening API. It is
  // started first: loading the modules blocks the event loop, so a step of the decryption that
  // still needed a turn of it (reading the file) would wait for the whole module graph.
  const unlocking = unlockIdentity(keystore, password);
  const [identity, { startNode }] = await Promise.all([unlocking, import("./daemon.js")]);
  const node = await startNode(config, identity, {
    onWarning: (message) => io.stderr.write(`warning: ${message}\n`),
    ...(audit === undefined ? {} : { audit }),
  });
  const chain = node.chain === undefined ? undefined : { chainId: node.chain.chainId, vault: node.chain.deployment.contracts.ModelVault };
  const multiaddrs = node.peer.addresses.map(String);
  if (options.json) {
    printJson(io, {
      event: "started",
      api: node.api.url,
      apiPort: node.api.port,
      peerId: node.peer.peerId,
      multiaddrs,
      address: identity.address,
      dataDir: config.dataDir,
      chain: chain ?? null,
      custodian: chain !== undefined,
      audit: node.auditor !== undefined,
    });
  } else {
    io.stdout.write("modelvault node running (Ctrl-C to stop)\n");
    printLines(io, [
      ["address", identity.address],
      ["peer id", node.peer.peerId],
      ["API", node.api.url],
      ...multiaddrs.map((a): [string, string] => ["libp2p", a]),
      ["data dir", config.dataDir],
      ["chain", chain === undefined ? "none (storage only)" : `${chain.chainId}, ModelVault ${chain.vault} (custodian role on${node.auditor === undefined ? "" : ", auditing"})`],
    ]);
  }

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  // Last line of defence for a long-running node: a promise some library left rejected without a
  // handler would end the process (Node's default), taking every other request with it. It is a
  // bug wherever it comes from, so it is reported loudly, but the node keeps serving.
  const onUnhandled = (reason: unknown) =>
    io.stderr.write(`warning: unhandled rejection (a bug; the node keeps running): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
  if (io.handleSignals) {
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    process.on("unhandledRejection", onUnhandled);
  }
  io.signal?.addEventListener("abort", onSignal, { once: true });
  if (io.signal?.aborted) onSignal();
  try {
    if (!stop.signal.aborted) await once(stop.signal, "abort");
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("unhandledRejection", onUnhandled);
    io.signal?.removeEventListener("abort", onSignal);
    await node.stop();
  }
  if (!options.json) io.stdout.write("modelvault node stopped\n");
}
