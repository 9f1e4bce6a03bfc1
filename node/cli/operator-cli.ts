/** Registration of the operator's and auditor's commands: custodian status, unbond, withdraw, audit. Placeholder: commands are added by the issue-14 work. */
import type { RegisterCommands } from "./options.js";

export const registerOperatorCommands: RegisterCommands = () => {};
