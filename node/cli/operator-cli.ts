/**
 * Registration of the operator's and auditor's commands: `custodian status` (read only: no
 * keystore), `custodian unbond AMOUNT`, `custodian withdraw`, `audit once`. `node start --audit`
 * is an option of `node start` (index.ts).
 */
import { Option } from "commander";
import { chainOptions, common, type RegisterCommands } from "./options.js";

const commands = () => import("./operator-commands.js");
const PASSWORD_HELP = "keystore password from a file (default: MODELVAULT_PASSWORD)";

export const registerOperatorCommands: RegisterCommands = ({ root, custodian }, io) => {
  chainOptions(common(custodian.command("status")))
    .description("a custodian's stake, unbonding, challenges answered and missed, shares held and revenue (read only)")
    .option("--account <address>", "the custodian (default: the address in this node's keystore, read without its password)")
    .action(async (options) => (await commands()).custodianStatusCommand(options, io));

  chainOptions(common(custodian.command("unbond <amount>")))
    .description("move bonded stake (wei, or e.g. 0.05eth) to unbonding; withdrawable after the registry's unbonding delay")
    .option("--password-file <file>", PASSWORD_HELP)
    .action(async (amount, options) => (await commands()).custodianUnbondCommand(amount, options, io));

  chainOptions(common(custodian.command("withdraw")))
    .description("withdraw unbonded stake once its delay is over and no challenge is open, and credited challenge bonds and slash rewards")
    .option("--password-file <file>", PASSWORD_HELP)
    .action(async (options) => (await commands()).custodianWithdrawCommand(options, io));

  const audit = root.command("audit").description("storage audits: challenge random (model, custodian) pairs and slash the ones that miss");
  chainOptions(common(audit.command("once")))
    .description("one audit pass within a daily bond budget: reveal and slash earlier challenges, open new ones, then follow them to their end")
    .option("--budget <wei>", "bond spent per 24 h at most, wei or e.g. 0.1eth (default: 10 bonds)")
    .option("--pairs <n>", "challenges to open in this pass (default 1)")
    .option("--no-wait", "do one pass and return; later passes reveal and slash (the journal in the data dir keeps the salts)")
    .option("--password-file <file>", PASSWORD_HELP)
    .addOption(new Option("--poll <ms>", "between passes while waiting (default 2000)").hideHelp())
    .action(async (options) => (await commands()).auditOnceCommand(options, io));
};
