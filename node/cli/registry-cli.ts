/**
 * Registration of everyone's read commands: `models`, `model info`, `model history`, `licences`.
 * Read only: a chain client without an account, so no keystore or password is ever asked for.
 */
import { chainOptions, common, type RegisterCommands } from "./options.js";

const commands = () => import("./registry-commands.js");
const RANGE_HELP = "largest eth_getLogs block range asked of the RPC (default 2000)";
const TIMEOUT_HELP = "give up reading a manifest (for a model's name) when no peer sends data for this long (default 3000)";

export const registerRegistryCommands: RegisterCommands = ({ root, model }, io) => {
  chainOptions(common(root.command("models")))
    .description("list the registered models: id, name, owner, current version, status, terms, custodians and threshold")
    .option("--owner <address>", "only the models this account owns")
    .option("--timeout <ms>", TIMEOUT_HELP)
    .action(async (options) => (await commands()).modelsCommand(options, io));

  chainOptions(common(model.command("info <modelId>")))
    .description("one model: its versions with manifest CIDs and commitments, custodians with stake and challenge record, attestations")
    .option("--timeout <ms>", TIMEOUT_HELP)
    .option("--max-block-range <n>", RANGE_HELP)
    .action(async (modelId, options) => (await commands()).modelInfoCommand(modelId, options, io));

  chainOptions(common(model.command("history <modelId>")))
    .description("every on-chain event of a model in chain order, with block, time and transaction: its provenance trail")
    .option("--max-block-range <n>", RANGE_HELP)
    .action(async (modelId, options) => (await commands()).modelHistoryCommand(modelId, options, io));

  chainOptions(common(root.command("licences")))
    .description("the licences an account holds (default: this node's account): model, version, expiry, uses left, stake")
    .option("--account <address>", "the licensee (default: the address in this node's keystore, read without its password)")
    .option("--max-block-range <n>", RANGE_HELP)
    .action(async (options) => (await commands()).licencesCommand(options, io));
};
