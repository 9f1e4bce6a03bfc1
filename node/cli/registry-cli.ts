/** Registration of everyone's read commands: models, model info, model history, licences. Placeholder: commands are added by the issue-14 work. */
import type { RegisterCommands } from "./options.js";

export const registerRegistryCommands: RegisterCommands = () => {};
