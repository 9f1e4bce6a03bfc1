/** Registration of the model owner's and licensee's chain commands: terms, status, transfer, licences, earnings, stake. */
import { chainOptions, common, type RegisterCommands } from "./options.js";

const commands = () => import("./owner-commands.js");
const PASSWORD_HELP = "keystore password from a file (default: MODELVAULT_PASSWORD)";

export const registerOwnerCommands: RegisterCommands = ({ root, model, licence }, io) => {
  const sending = (command: ReturnType<typeof root.command>) => chainOptions(common(command)).option("--password-file <file>", PASSWORD_HELP);

  sending(model.command("terms <modelId>"))
    .description("owner: change the terms future licences get (unset options keep their value); without options, show them")
    .option("--price <amount>", "licence price, in wei or as e.g. 0.01eth")
    .option("--duration <seconds>", "licence duration: seconds or e.g. 30d, 12h; 0 = no expiry")
    .option("--max-uses <n>", "access tickets per licence, 0 = unlimited")
    .option("--min-stake <amount>", "licensee stake required for tickets, in wei or as e.g. 0.1eth")
    .option("--carry-over", "licences stay valid for later versions")
    .option("--no-carry-over", "licences are for the version they were issued for")
    .action(async (modelId, options) => (await commands()).termsCommand(modelId, options, io));
  for (const [action, description] of [
    ["pause", "owner: halt licence sales (existing licences keep working)"],
    ["unpause", "owner: resume licence sales"],
  ] as const) {
    sending(model.command(`${action} <modelId>`))
      .description(description)
      .action(async (modelId, options) => (await commands()).statusCommand(action, modelId, options, io));
  }
  sending(model.command("retire <modelId>"))
    .description("owner: retire the model for good (no sales, grants, versions or term changes); cannot be undone")
    .option("--yes", "confirm: retiring cannot be undone")
    .action(async (modelId, options) => (await commands()).statusCommand("retire", modelId, options, io));
  sending(model.command("transfer <modelId> [address]"))
    .description("owner: propose a new owner, who takes over with `model accept` (two steps)")
    .option("--cancel", "withdraw a pending transfer")
    .action(async (modelId, address, options) => (await commands()).transferCommand(modelId, address, options, io));
  sending(model.command("accept <modelId>"))
    .description("proposed owner: take over a model transferred to this account")
    .action(async (modelId, options) => (await commands()).acceptCommand(modelId, options, io));

  sending(licence.command("grant <modelId> <address>"))
    .description("owner: give an account a free licence (replaces any it holds, lifts a revocation)")
    .option("--expires <when>", "Unix time, or a duration from now such as 30d or 12h (default: no expiry)")
    .option("--uses <n>", "access tickets the licence allows (default 0 = unlimited)")
    .action(async (modelId, address, options) => (await commands()).grantCommand(modelId, address, options, io));
  sending(licence.command("revoke <modelId> <address>"))
    .description("owner: revoke an account's licence; its outstanding tickets stop being live")
    .action(async (modelId, address, options) => (await commands()).revokeCommand(modelId, address, options, io));

  chainOptions(common(root.command("earnings [address]")))
    .description("what an account (default: this node's) can withdraw: credited balance and unclaimed revenue per model version; needs no keystore")
    .action(async (address, options) => (await commands()).earningsCommand(address, options, io));
  sending(root.command("withdraw"))
    .description("claim this account's revenue of every model version and withdraw the whole balance")
    .action(async (options) => (await commands()).withdrawCommand(options, io));

  sending(root.command("stake <modelId> <amount>"))
    .description("licensee: add to this account's stake for a model (in wei or as e.g. 0.1eth)")
    .action(async (modelId, amount, options) => (await commands()).stakeCommand(modelId, amount, options, io));
  sending(root.command("unstake <modelId> [amount]"))
    .description("licensee: start the cooldown for an amount of stake; --withdraw takes it out once the cooldown is over")
    .option("--withdraw", "withdraw the stake whose cooldown is over")
    .action(async (modelId, amount, options) => (await commands()).unstakeCommand(modelId, amount, options, io));
};
