/** Registration of proofs: prove, attest, verify, the model's inference verifier. Placeholder: commands are added by the issue-14 work. */
import type { RegisterCommands } from "./options.js";

export const registerProofCommands: RegisterCommands = () => {};
