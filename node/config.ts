/**
 * Node configuration: defaults < config file (JSON) < environment < command-line flags.
 * Every value is validated with zod; a bad one fails with a ConfigError that names the field
 * and where it came from. Nothing here dials anything: the defaults listen on loopback only
 * and name no peers.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { multiaddr } from "@multiformats/multiaddr";
import { z } from "zod";
import { DEFAULT_RELEASE_LIMITS } from "./custody/release-limits.js";
import { ConfigError } from "./errors.js";

export { NODE_VERSION } from "./version.js";

export const DEFAULT_API_HOST = "127.0.0.1";
export const DEFAULT_API_PORT = 5480;
export const DEFAULT_LISTEN = ["/ip4/127.0.0.1/tcp/4501"];
/** Upload limit of POST /v1/models: 64 GiB. */
export const DEFAULT_BODY_LIMIT = 64 * 1024 ** 3;
export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;
/** Blocks a transaction or event needs before the node acts on it; 1 = its own block. */
export const DEFAULT_CONFIRMATIONS = 1;

const multiaddrText = z.string().refine((text) => {
  try {
    multiaddr(text);
    return true;
  } catch {
    return false;
  }
}, "not a valid multiaddr");

/** A trustless gateway: an http(s) origin, no credentials, no path (gateways answer at /ipfs/). */
const gatewayText = z.string().max(2048).refine((text) => {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === "" && url.pathname === "/" && url.search === "" && url.hash === "";
  } catch {
    return false;
  }
}, "must be an http(s) origin such as https://gateway.example (no credentials, no path)");

// The message never echoes the URL: it may carry credentials or an API key.
const rpcUrl = z.string().refine((text) => {
  try {
    return ["http:", "https:", "ws:", "wss:"].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}, "must be an http(s) or ws(s) URL");

/** Without a `chain` section the node runs without a chain (storage only). */
const chainSchema = z
  .object({
    rpcUrl,
    /** Deployment JSON; by default deployments/<chainId>.json of the repo, chainId asked of the RPC. */
    deployment: z.string().min(1).optional(),
    confirmations: z.number().int().min(0).max(64),
  })
  .strict();

/** Release requests per second and burst (node/custody/release-limits.ts); perSecond 0 = no limit. */
const rateLimitSchema = z.object({ perSecond: z.number().min(0).max(1_000_000), burst: z.number().int().min(1).max(1_000_000) }).strict();

/** The custodian's release path (docs/OPERATIONS.md, "Key releases"). */
const custodySchema = z
  .object({
    /** Follow tickets and licences from the chain so releases need no chain read. */
    ticketIndex: z.boolean(),
    licenseeLimit: rateLimitSchema,
    clientLimit: rateLimitSchema,
  })
  .strict();

const configSchema = z
  .object({
    dataDir: z.string().min(1),
    api: z
      .object({
        host: z.string().min(1).max(253),
        port: z.number().int().min(0).max(65535),
        bodyLimit: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
      })
      .strict(),
    listen: z.array(multiaddrText).max(32),
    peers: z.array(multiaddrText).max(256),
    gateways: z.array(gatewayText).max(64),
    fetchTimeoutMs: z.number().int().min(1).max(3_600_000),
    chain: chainSchema.optional(),
    custody: custodySchema,
  })
  .strict();

export type NodeConfig = z.infer<typeof configSchema>;

/** What the file may hold: every field optional, same shapes. */
const fileSchema = configSchema
  .extend({ api: configSchema.shape.api.partial(), chain: chainSchema.partial(), custody: custodySchema.partial() })
  .partial()
  .strict();
export type NodeConfigFile = z.infer<typeof fileSchema>;

/** Overrides from command-line flags (already split; undefined = not given). */
export interface ConfigFlags {
  config?: string;
  dataDir?: string;
  apiHost?: string;
  apiPort?: string | number;
  listen?: string[];
  peers?: string[];
  gateways?: string[];
  bodyLimit?: string | number;
  fetchTimeoutMs?: string | number;
  rpcUrl?: string;
  deployment?: string;
  confirmations?: string | number;
}

export interface LoadConfigOptions {
  flags?: ConfigFlags;
  env?: Record<string, string | undefined>;
}

/** A layer of partial values, each remembering where it came from for error messages. */
interface Layer {
  source: string;
  values: Partial<Record<string, unknown>>;
}

function splitList(text: string): string[] {
  return text
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/** Integers given as text (env, flags): strict decimal, so "12abc" is refused, not truncated. */
function integer(text: string | number | undefined): number | string | undefined {
  if (text === undefined || typeof text === "number") return text;
  return /^[0-9]{1,16}$/.test(text.trim()) ? Number(text.trim()) : text;
}

const FIELD_NAMES: Record<string, string> = {
  dataDir: "dataDir",
  "api.host": "api.host",
  "api.port": "api.port",
  "api.bodyLimit": "api.bodyLimit",
  listen: "listen",
  peers: "peers",
  gateways: "gateways",
  fetchTimeoutMs: "fetchTimeoutMs",
  "chain.rpcUrl": "chain.rpcUrl",
  "chain.deployment": "chain.deployment",
  "chain.confirmations": "chain.confirmations",
  "custody.ticketIndex": "custody.ticketIndex",
  "custody.licenseeLimit": "custody.licenseeLimit",
  "custody.clientLimit": "custody.clientLimit",
};

/** A rate limit given as text (env): "<perSecond>/<burst>", e.g. "20/40"; anything else is left for zod to refuse. */
function rateLimit(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  const m = /^\s*([0-9]{1,7}(?:\.[0-9]{1,3})?)\s*\/\s*([0-9]{1,7})\s*$/.exec(text);
  return m === null ? text : { perSecond: Number(m[1]), burst: Number(m[2]) };
}

function boolean(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  return text === "1" || text === "true" ? true : text === "0" || text === "false" ? false : text;
}

const CHAIN_KEYS = ["chain.rpcUrl", "chain.deployment", "chain.confirmations"] as const;

function flatten(file: NodeConfigFile): Layer["values"] {
  return {
    dataDir: file.dataDir,
    "api.host": file.api?.host,
    "api.port": file.api?.port,
    "api.bodyLimit": file.api?.bodyLimit,
    listen: file.listen,
    peers: file.peers,
    gateways: file.gateways,
    fetchTimeoutMs: file.fetchTimeoutMs,
    "chain.rpcUrl": file.chain?.rpcUrl,
    "chain.deployment": file.chain?.deployment,
    "chain.confirmations": file.chain?.confirmations,
    "custody.ticketIndex": file.custody?.ticketIndex,
    "custody.licenseeLimit": file.custody?.licenseeLimit,
    "custody.clientLimit": file.custody?.clientLimit,
  };
}

async function readConfigFile(path: string, explicit: boolean): Promise<NodeConfigFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !explicit) return {};
    throw new ConfigError(`cannot read config file ${path}: ${code ?? "error"}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(`config file ${path} is not valid JSON`);
  }
  const parsed = fileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join(".") || "(root)";
    throw new ConfigError(`config ${field} (from ${path}): ${issue.message}`);
  }
  return parsed.data;
}

/** Resolves the effective configuration. The config file is <dataDir>/config.json unless --config names one. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<NodeConfig & { configPath: string }> {
  const flags = options.flags ?? {};
  const env = options.env ?? process.env;
  const envValues: Layer["values"] = {
    dataDir: env.MODELVAULT_DATA_DIR || undefined,
    "api.host": env.MODELVAULT_API_HOST || undefined,
    "api.port": integer(env.MODELVAULT_API_PORT || undefined),
    listen: env.MODELVAULT_LISTEN ? splitList(env.MODELVAULT_LISTEN) : undefined,
    peers: env.MODELVAULT_PEERS ? splitList(env.MODELVAULT_PEERS) : undefined,
    gateways: env.MODELVAULT_GATEWAYS ? splitList(env.MODELVAULT_GATEWAYS) : undefined,
    "chain.rpcUrl": env.MODELVAULT_RPC_URL || undefined,
    "chain.deployment": env.MODELVAULT_DEPLOYMENT || undefined,
    "chain.confirmations": integer(env.MODELVAULT_CONFIRMATIONS || undefined),
    "custody.ticketIndex": boolean(env.MODELVAULT_TICKET_INDEX || undefined),
    "custody.licenseeLimit": rateLimit(env.MODELVAULT_RELEASE_LIMIT_LICENSEE || undefined),
    "custody.clientLimit": rateLimit(env.MODELVAULT_RELEASE_LIMIT_CLIENT || undefined),
  };
  const flagValues: Layer["values"] = {
    dataDir: flags.dataDir,
    "api.host": flags.apiHost,
    "api.port": integer(flags.apiPort),
    "api.bodyLimit": integer(flags.bodyLimit),
    listen: flags.listen?.flatMap(splitList),
    peers: flags.peers?.flatMap(splitList),
    gateways: flags.gateways?.flatMap(splitList),
    fetchTimeoutMs: integer(flags.fetchTimeoutMs),
    "chain.rpcUrl": flags.rpcUrl,
    "chain.deployment": flags.deployment,
    "chain.confirmations": integer(flags.confirmations),
  };
  // The data dir decides where the default config file is; only an explicit --config may move it.
  const dataDir = resolve((flagValues.dataDir ?? envValues.dataDir ?? join(homedir(), ".modelvault")) as string);
  const configPath = flags.config === undefined ? join(dataDir, "config.json") : resolve(flags.config);
  const file = await readConfigFile(configPath, flags.config !== undefined);

  const layers: Layer[] = [
    {
      source: "defaults",
      values: {
        dataDir: join(homedir(), ".modelvault"),
        "api.host": DEFAULT_API_HOST,
        "api.port": DEFAULT_API_PORT,
        "api.bodyLimit": DEFAULT_BODY_LIMIT,
        listen: DEFAULT_LISTEN,
        peers: [],
        gateways: [],
        fetchTimeoutMs: DEFAULT_FETCH_TIMEOUT_MS,
        "chain.confirmations": DEFAULT_CONFIRMATIONS,
        "custody.ticketIndex": true,
        "custody.licenseeLimit": DEFAULT_RELEASE_LIMITS.licensee,
        "custody.clientLimit": DEFAULT_RELEASE_LIMITS.client,
      },
    },
    { source: configPath, values: flatten(file) },
    { source: "environment", values: envValues },
    { source: "command line", values: flagValues },
  ];
  const merged: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.values)) {
      if (value === undefined) continue;
      merged[key] = value;
      origin[key] = layer.source;
    }
  }
  const candidate = {
    dataDir: typeof merged.dataDir === "string" && merged.dataDir !== "" ? resolve(merged.dataDir) : merged.dataDir,
    api: { host: merged["api.host"], port: merged["api.port"], bodyLimit: merged["api.bodyLimit"] },
    listen: merged.listen,
    peers: merged.peers,
    gateways: merged.gateways,
    fetchTimeoutMs: merged.fetchTimeoutMs,
    chain: chainCandidate(merged, origin),
    custody: { ticketIndex: merged["custody.ticketIndex"], licenseeLimit: merged["custody.licenseeLimit"], clientLimit: merged["custody.clientLimit"] },
  };
  const parsed = configSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path.filter((part) => typeof part === "string").join(".");
    const field = FIELD_NAMES[key] ?? key;
    // A nested field (custody.clientLimit.burst) came with its section's key.
    const source = origin[key] ?? origin[Object.keys(origin).find((k) => key.startsWith(`${k}.`)) ?? ""];
    throw new ConfigError(`config ${field} (from ${source ?? "defaults"}): ${issue.message}`);
  }
  return { ...parsed.data, configPath };
}

/** The chain section exists once any layer but the defaults sets a chain field; it then needs an RPC URL. */
function chainCandidate(merged: Record<string, unknown>, origin: Record<string, string>): Record<string, unknown> | undefined {
  const given = CHAIN_KEYS.filter((key) => merged[key] !== undefined && origin[key] !== "defaults");
  if (given.length === 0) return undefined;
  if (merged["chain.rpcUrl"] === undefined) {
    const key = given[0]!;
    throw new ConfigError(`config chain.rpcUrl: required by ${FIELD_NAMES[key]} (from ${origin[key]})`);
  }
  const deployment = merged["chain.deployment"];
  return {
    rpcUrl: merged["chain.rpcUrl"],
    ...(deployment === undefined ? {} : { deployment: typeof deployment === "string" && deployment !== "" ? resolve(deployment) : deployment }),
    confirmations: merged["chain.confirmations"],
  };
}

/** The URL clients use to reach the API of this configuration. */
export function apiUrlOf(config: Pick<NodeConfig, "api">): string {
  const host = config.api.host.includes(":") ? `[${config.api.host}]` : config.api.host;
  return `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${config.api.port}`;
}
