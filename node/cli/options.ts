/** Options several commands share, and the groups commands register into. */
import type { Command } from "commander";
import type { CliIo } from "./io.js";

export const collect = (value: string, previous: string[] = []) => [...previous, value];

export const OUTPUT_HELP = "where to write the decrypted model: a file for a one-file model, a directory for a directory model";
export const INCLUDE_HELP = "directory models: fetch only files whose path matches this glob (repeatable)";
export const EXCLUDE_HELP = "directory models: skip files whose path matches this glob (repeatable)";
export const FORCE_HELP = "overwrite an existing output";
export const PROGRESS_HELP = "bar (default on a terminal), json (one line per update on stderr) or none";

/** --json, --api, --config, --data-dir: accepted by every command. */
export function common(command: Command): Command {
  return command
    .option("--json", "print one JSON object on stdout (no progress bar)")
    .option("--api <url>", "the node's API (default: from the config, http://127.0.0.1:5480)")
    .option("--config <file>", "config file (default: <data dir>/config.json)")
    .option("--data-dir <dir>", "data dir (default: ~/.modelvault, or MODELVAULT_DATA_DIR)");
}

/** --rpc-url, --deployment, --confirmations: for commands that use the chain. */
export function chainOptions(command: Command): Command {
  return command
    .option("--rpc-url <url>", "EVM JSON-RPC endpoint (default: chain.rpcUrl of the config, or MODELVAULT_RPC_URL)")
    .option("--deployment <file>", "contract deployment JSON (default: deployments/<chainId>.json)")
    .option("--confirmations <n>", "blocks a ticket or transaction needs before it counts (default 1)");
}

/** The command groups of the CLI: each module of commands adds its own to them. */
export interface CommandGroups {
  root: Command;
  node: Command;
  custodian: Command;
  /** `modelvault model …`: one registered model (info, history, terms, status, verifier). */
  model: Command;
  /** `modelvault licence …`: licences of a model (grant, revoke). */
  licence: Command;
}

/** A module of commands: registers them (options and lazy actions only: no heavy imports here). */
export type RegisterCommands = (groups: CommandGroups, io: CliIo) => void;
