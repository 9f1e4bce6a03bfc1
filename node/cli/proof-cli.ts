/** Registration of proofs: prove ownership|inference|wellformed, verify, attest ownership|inference|wellformed, model verifier (actions in proof-commands.ts, loaded on use). */
import type { Command } from "commander";
import type { CliIo } from "./io.js";
import { chainOptions, common, FORCE_HELP, type RegisterCommands } from "./options.js";

const proofCommands = () => import("./proof-commands.js");
const PASSWORD_HELP = "keystore password from a file (default: MODELVAULT_PASSWORD)";

export const registerProofCommands: RegisterCommands = ({ root, model }, io) => {
  const prove = root.command("prove").description("make a zero-knowledge proof file about a registered model");
  chainOptions(common(prove.command("ownership <modelId>")))
    .description("prove knowledge of the owner secret behind the model's registered owner commitment, bound to an address (reads the chain only)")
    .requiredOption("--owner-secret-file <file>", "the owner secret, as publish printed it (first line, decimal)")
    .requiredOption("-o, --output <file>", "where to write the proof file (JSON, docs/ZK.md)")
    .option("--weights <path>", "the model's safetensors file or directory: refuse unless it commits to the registered weights commitment")
    .option("--claimant <address>", "the address the proof is bound to, who may attest it (default: this node's address)")
    .option("--nonce <n>", "the proof's one-time nonce (default: random)")
    .option("--force", FORCE_HELP)
    .action(async (modelId, options) => (await proofCommands()).proveOwnershipCommand(modelId, options, io));

  chainOptions(common(prove.command("inference <modelId>")))
    .description("licensee: prove y = model(x) for the registered weights, from the decrypted model (reads the chain only)")
    .requiredOption("--input <json>", "the input as a JSON array of numbers, e.g. [5.1,3.5,1.4,0.2]")
    .requiredOption("--weights <path>", "the decrypted model: safetensors file or directory (must commit to the registered weights commitment)")
    .requiredOption("-o, --output <file>", "where to write the proof file (JSON, docs/ZK.md)")
    .option("--claimant <address>", "the prover recorded in the file (default: this node's address)")
    .option("--reveal <mode>", "what the proof publishes of the output: public (y), committed (a salted commitment to y), argmax (the predicted class only); the input is always hidden behind a salted commitment", "public")
    .option("--opening <file>", "also write the salts and private values that open the proof's commitments (required with --reveal committed); keep it private")
    .option("--force", FORCE_HELP)
    .action(async (modelId, options) => (await proofCommands()).proveInferenceCommand(modelId, options, io));

  chainOptions(common(prove.command("wellformed <modelId>")))
    .description("owner: prove that the registered weights commitment holds in-range weights (once per version; inferences count only after it is attested)")
    .requiredOption("--weights <path>", "the model: safetensors file or directory (must commit to the registered weights commitment)")
    .requiredOption("-o, --output <file>", "where to write the proof file (JSON, docs/ZK.md)")
    .option("--claimant <address>", "the prover recorded in the file (default: this node's address)")
    .option("--force", FORCE_HELP)
    .action(async (modelId, options) => (await proofCommands()).proveWellFormedCommand(modelId, options, io));

  chainOptions(common(root.command("verify <file>")))
    .description("check a proof file (ownership, inference or wellformed) against the commitments the chain registered for the model; exit 0 valid, 1 invalid")
    .requiredOption("--model <modelId>", "the model the proof must be about")
    .option("--version <n>", "the version whose commitments to check against (default: the current one)")
    .option("--on-chain", "verify through the deployed verifier contracts (eth_call, no transaction) instead of the local verification key")
    .option("--claimant <address>", "ownership: also require the proof to be bound to this address")
    .option("--opening <file>", "inference: also check that this opening (from prove inference --opening) opens the proof's commitments, and show its values")
    .action(async (file, options) => (await proofCommands()).verifyCommand(file, options, io));

  const attest = root.command("attest").description("record a proof on chain (ProofAttestations), from this node's account");
  chainOptions(common(attest.command("ownership <file>")))
    .description("attest an ownership proof file bound to this node's address, for the model's current version")
    .option("--password-file <file>", PASSWORD_HELP)
    .action(async (file, options) => (await proofCommands()).attestOwnershipCommand(file, options, io));
  chainOptions(common(attest.command("wellformed <file>")))
    .description("attest a well-formedness proof file through the model's well-formedness verifier, for its current version (anyone may send it)")
    .option("--password-file <file>", PASSWORD_HELP)
    .action(async (file, options) => (await proofCommands()).attestWellFormedCommand(file, options, io));
  registerVerifierCommands(attest, model, io);
};

/** `attest inference FILE` and `model verifier ID [--architecture NAME | --address ADDR]`. */
function registerVerifierCommands(attest: Command, model: Command, io: CliIo): void {
  chainOptions(common(attest.command("inference <file>")))
    .description("attest an inference proof file through the model's inference verifier, for its current version (anyone may send it)")
    .option("--password-file <file>", PASSWORD_HELP)
    .action(async (file, options) => (await proofCommands()).attestInferenceCommand(file, options, io));

  chainOptions(common(model.command("verifier <modelId>")))
    .description("owner: set the model's inference verifier (ProofAttestations.setInferenceVerifier; with --architecture also its well-formedness verifier); without options, show it (reads the chain only)")
    .option("--architecture <name>", "the deployment's verifier of this architecture: its circuit name, e.g. inference_4_16_3 (or 4-16-3)")
    .option("--address <address>", "a deployed verifier contract (its public-signal count is read from its code)")
    .option("--reveal <mode>", "the variant to show or set: public, committed or argmax (default: the architecture name's, else public)")
    .option("--password-file <file>", PASSWORD_HELP)
    .action(async (modelId, options) => (await proofCommands()).modelVerifierCommand(modelId, options, io));
}
