/** Registration of the model owner's and licensee's chain commands: terms, status, licences, earnings, stake. Placeholder: commands are added by the issue-14 work. */
import type { RegisterCommands } from "./options.js";

export const registerOwnerCommands: RegisterCommands = () => {};
