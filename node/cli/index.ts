/**
 * The `modelvault` command line (commander). Each command is a thin function over the library
 * or the node's HTTP API; `run(argv, io)` is what the bin calls and what tests call directly.
 * Errors end as one line on stderr and a non-zero exit code, never a stack trace.
 */
import { Command, CommanderError, Option } from "commander";
import { ModelvaultCryptoError } from "../../crypto/errors.js";
import { NodeError, OutputError } from "../errors.js";
import { NODE_VERSION } from "../version.js";
import { processIo, type CliIo } from "./io.js";
import { chainOptions, collect, common, EXCLUDE_HELP, FORCE_HELP, INCLUDE_HELP, OUTPUT_HELP, PROGRESS_HELP, type CommandGroups } from "./options.js";
import { registerRegistryCommands } from "./registry-cli.js";
import { registerOwnerCommands } from "./owner-cli.js";
import { registerProofCommands } from "./proof-cli.js";
import { registerOperatorCommands } from "./operator-cli.js";
import { UsageError } from "./usage-error.js";

// Commands load on use: a client command need not load Helia, libp2p and fastify.
const nodeCommands = () => import("./node-commands.js");
const publishCommands = () => import("./publish-command.js");
const fetchCommands = () => import("./fetch-command.js");
const custodyCommands = () => import("./custody-commands.js");

function program(io: CliIo): Command {
  const root = new Command("modelvault")
    .description("decentralized storage node for encrypted AI models")
    .version(NODE_VERSION)
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });

  const node = root.command("node").description("run and set up this node").exitOverride();
  common(node.command("init"))
    .description("create the node identity (BIP-39) in an encrypted keystore <data dir>/identity.json")
    .option("--password-file <file>", "keystore password from a file (default: MODELVAULT_PASSWORD)")
    .addOption(new Option("--scrypt-n <n>", "scrypt cost (power of two; lower only for tests)").hideHelp())
    .action(async (options) => (await nodeCommands()).nodeInit(options, io));
  chainOptions(common(node.command("start")))
    .description("start the storage peer and its HTTP API (and the custodian role with a chain); stops cleanly on SIGINT/SIGTERM")
    .option("--api-host <host>", "API bind address (default 127.0.0.1)")
    .option("--api-port <port>", "API port, 0 for any free one (default 5480)")
    .option("--listen <multiaddr>", "libp2p listen address (repeatable or comma-separated)", collect)
    .option("--peer <multiaddr>", "peer to dial at start, with /p2p/<id> (repeatable or comma-separated)", collect)
    .option("--gateway <url>", "trustless gateway to fetch blocks from, an http(s) origin (repeatable or comma-separated)", collect)
    .option("--body-limit <bytes>", "largest accepted upload")
    .option("--fetch-timeout <ms>", "idle timeout of reads from peers")
    .option("--password-file <file>", "keystore password from a file (default: MODELVAULT_PASSWORD)")
    .option("--audit", "also audit: challenge random (model, custodian) pairs within --audit-budget per day, slash the ones that miss (needs a chain)")
    .option("--audit-budget <wei>", "with --audit: bond spent per 24 h at most, wei or e.g. 0.1eth (default: 10 bonds)")
    .option("--audit-pairs <n>", "with --audit: challenges opened per round (default 1)")
    .addOption(new Option("--audit-interval <seconds>", "with --audit: between rounds (default 3600)").hideHelp())
    .addOption(new Option("--audit-poll <ms>", "with --audit: between reveal/slash passes (default 5000)").hideHelp())
    .action(async (options) => (await nodeCommands()).nodeStart(options, io));

  common(node.command("status"))
    .description("the running node's status: peers, pins, storage, shares held, challenges, stake, transfer rates (GET /v1/status)")
    .action(async (options) => (await import("./status-command.js")).nodeStatusCommand(options, io));

  common(root.command("publish <path>"))
    .description("encrypt and publish a model file, or a model directory (Hugging Face style) as one version, through the node's API")
    .option("--name <name>", "model name recorded in the manifest")
    .option("--segment-size <bytes>", "plaintext segment size (default 1 MiB - 16)")
    .option("--weights-commitment <field>", "Poseidon commitment of the quantized weights (decimal)")
    .option("--custodians <addresses>", "comma-separated custodian addresses")
    .option("--threshold <k>", "custodian threshold")
    .option("--register", "deposit the key's shares with the custodians, then register the model on chain")
    .option("--rotate <modelId>", "publish as the next version of a registered model, with a fresh key")
    .option("--price <wei>", "licence price (with --register)")
    .option("--duration <seconds>", "licence duration, 0 = no expiry (with --register)")
    .option("--max-uses <n>", "access tickets per licence, 0 = unlimited (with --register)")
    .option("--min-stake <wei>", "licensee stake required for tickets (with --register)")
    .option("--carry-over", "licences stay valid for later versions (with --register)")
    .option("--owner-secret-file <file>", "with --register/--rotate: the owner secret behind the recorded owner commitment (default: a fresh one, printed once)")
    .option("--architecture <name>", "with --register/--rotate: then set the deployment's inference verifier of this architecture for the model (e.g. inference_4_16_3; one more transaction)")
    .option("--progress <mode>", PROGRESS_HELP)
    .action(async (file, options) => (await publishCommands()).publishCommand(file, options, io));

  chainOptions(common(root.command("access <modelId>")))
    .description("licensee: request a ticket, collect k key shares from the custodians, fetch and decrypt the model")
    .requiredOption("-o, --output <path>", OUTPUT_HELP)
    .option("--buy", "buy a licence at the current price when this account has no usable one")
    .option("--timeout <ms>", "give up when no peer sends data for this long")
    .option("--custodian-timeout <ms>", "per custodian answer deadline")
    .option("--include <glob>", INCLUDE_HELP, collect)
    .option("--exclude <glob>", EXCLUDE_HELP, collect)
    .option("--force", FORCE_HELP)
    .option("--progress <mode>", PROGRESS_HELP)
    .option("--password-file <file>", "keystore password from a file (default: MODELVAULT_PASSWORD)")
    .action(async (modelId, options) => (await custodyCommands()).accessCommand(modelId, options, io));

  const custodian = root.command("custodian").description("this node as a key custodian").exitOverride();
  chainOptions(common(custodian.command("register")))
    .description("register (or update) this node as a custodian on chain: its public key, API endpoint and stake")
    .requiredOption("--stake <amount>", "bonded stake, in wei or as e.g. 0.1eth")
    .option("--endpoint <url>", "the URL custodian requests reach (default: this node's API address)")
    .option("--password-file <file>", "keystore password from a file (default: MODELVAULT_PASSWORD)")
    .action(async (options) => (await custodyCommands()).custodianRegisterCommand(options, io));

  common(root.command("fetch <cid>"))
    .description("fetch a model by manifest CID, verify the manifest and decrypt locally")
    .requiredOption("-o, --output <path>", OUTPUT_HELP)
    .option("--key <hex>", "the 32-byte content key (hex)")
    .option("--key-file <file>", "read the content key from a file instead")
    .option("--expected-owner <address>", "refuse a manifest signed by anyone else")
    .option("--timeout <ms>", "give up when no peer sends data for this long")
    .option("--include <glob>", INCLUDE_HELP, collect)
    .option("--exclude <glob>", EXCLUDE_HELP, collect)
    .option("--tensor <name>", "write a safetensors file with just this tensor (a name or a glob; repeatable), reading only the segments that hold it", collect)
    .option("--file <path>", "with --tensor: the safetensors file of a directory model to read (default: every safetensors file)")
    .option("--force", FORCE_HELP)
    .option("--progress <mode>", PROGRESS_HELP)
    .action(async (cid, options) => (await fetchCommands()).fetchCommand(cid, options, io));

  common(root.command("tensors <cid> [file]"))
    .description("list the tensors of an encrypted safetensors model (name, dtype, shape, byte range, file), decrypting only the headers")
    .option("--key <hex>", "the 32-byte content key (hex)")
    .option("--key-file <file>", "read the content key from a file instead")
    .option("--expected-owner <address>", "refuse a manifest signed by anyone else")
    .option("--timeout <ms>", "give up when no peer sends data for this long")
    .action(async (cid, file, options) => (await import("./tensors-command.js")).tensorsCommand(cid, file, options, io));

  chainOptions(common(root.command("versions <modelId>")))
    .description("list the versions of a registered model, with their files and sizes")
    .option("--timeout <ms>", "give up reading a manifest when no peer sends data for this long")
    .action(async (modelId, options) => (await import("./versions-command.js")).versionsCommand(modelId, options, io));

  common(root.command("pins [action] [cid]"))
    .description("list (ls, default), add or rm pins")
    .option("--timeout <ms>", "for add: give up when no peer sends data for this long")
    .action(async (action, cid, options) => (await import("./pins-command.js")).pinsCommand(action, cid, options, io));

  const groups: CommandGroups = {
    root,
    node,
    custodian,
    model: root.command("model").description("one registered model: info, history, terms, status, verifier"),
    licence: root.command("licence").description("licences of a model: grant, revoke"),
  };
  for (const register of [registerRegistryCommands, registerOwnerCommands, registerProofCommands, registerOperatorCommands]) register(groups, io);
  const everyCommand = (command: Command): Command[] => [command, ...command.commands.flatMap(everyCommand)];
  for (const command of everyCommand(root)) command.exitOverride();
  return root;
}

/** Runs the CLI with `argv` (the arguments after the program name); resolves with the exit code. */
export async function run(argv: string[], io: CliIo = processIo()): Promise<number> {
  const json = argv.includes("--json");
  try {
    await program(io).parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed the message (or the help / version, with exit code 0).
      return error.exitCode;
    }
    const { code, message } = describe(error);
    if (json) io.stderr.write(JSON.stringify({ error: { code, message } }) + "\n");
    else io.stderr.write(`modelvault: ${message}${code === "INTERNAL" || code === "USAGE" ? "" : ` [${code}]`}\n`);
    // An output that cannot be written as asked (-o, --include/--exclude, --force) is a bad command-line value too.
    return error instanceof UsageError || error instanceof OutputError ? 2 : 1;
  }
}

function describe(error: unknown): { code: string; message: string } {
  if (error instanceof NodeError || error instanceof ModelvaultCryptoError) return { code: error.code, message: error.message };
  const errno = error as NodeJS.ErrnoException;
  if (typeof errno?.code === "string" && typeof errno.syscall === "string") {
    return { code: errno.code, message: `${errno.syscall} ${errno.path ?? ""} failed: ${errno.code}`.replace("  ", " ") };
  }
  return { code: "INTERNAL", message: error instanceof Error ? error.message : String(error) };
}
