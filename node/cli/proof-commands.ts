/**
 * `modelvault prove ownership`, `verify` and `attest ownership`: proof files (docs/ZK.md) made
 * and checked against the chain's registered commitments (node/chain/proofs.ts). prove and
 * verify only read the chain (no keystore); attest sends from this node's account.
 * `model verifier` and `attest inference` (at the end) go through node/chain/verifiers.ts.
 */
import { readFile, writeFile } from "node:fs/promises";
import { getAddress, isAddress, zeroAddress, type Address } from "viem";
import { connectChain, type ChainClient } from "../chain/index.js";
import { attestOwnershipFile, parseProofFile, proveInferenceWithOpening, proveOwnershipFile, verifyProofFile, type ProofFile, type ProofVerdict } from "../chain/proofs.js";
import { REVEAL_MODES, isRevealMode, type RevealMode } from "../../zkp/reveal-mode.js";
import { parseOpeningFile } from "../chain/openings.js";
import { loadConfig, type ConfigFlags } from "../config.js";
import { ConfigError, NodeError } from "../errors.js";
import type { InferenceVerifierView, VerifierTarget } from "../chain/verifiers.js";
import { checkFileOutput } from "../models/directory-output.js";
import { chainWithIdentity, type ChainCliOptions } from "./custody-commands.js";
import { identityPath, loadIdentity, resolvePassword } from "./identity.js";
import { printJson, printLines, type CliIo } from "./io.js";
import { readOwnerSecret } from "./owner-secret.js";
import { UsageError } from "./usage-error.js";

/** The proof did not verify: the verdict is on stdout, this ends the command with exit 1. */
export class ProofInvalidError extends NodeError {
  constructor(reason: string) {
    super("PROOF_INVALID", `the proof is invalid: ${reason}`);
  }
}

async function chainFor(options: ChainCliOptions, io: CliIo, withAccount: boolean): Promise<ChainClient> {
  const flags: ConfigFlags = { config: options.config, dataDir: options.dataDir, rpcUrl: options.rpcUrl, deployment: options.deployment, confirmations: options.confirmations };
  const config = await loadConfig({ flags, env: io.env });
  if (config.chain === undefined) throw new ConfigError("no chain configured: pass --rpc-url (or set MODELVAULT_RPC_URL or chain.rpcUrl in the config)");
  if (!withAccount) return connectChain(config.chain);
  const identity = await loadIdentity(config.dataDir, await resolvePassword(options.passwordFile, io.env));
  return connectChain(config.chain, { account: identity.account });
}

const modelIdOf = (text: string): bigint => {
  if (!/^[1-9][0-9]{0,76}$/.test(text)) throw new UsageError(`the model id is a positive integer, got ${JSON.stringify(text.slice(0, 80))}`);
  return BigInt(text);
};

function addressOf(flag: string, text: string): Address {
  if (!isAddress(text)) throw new UsageError(`${flag} must be an address, got ${JSON.stringify(text.slice(0, 80))}`);
  return getAddress(text);
}

/** This node's address, from the keystore's public address hint (no password needed). */
async function nodeAddress(options: ChainCliOptions, io: CliIo): Promise<Address> {
  const config = await loadConfig({ flags: { config: options.config, dataDir: options.dataDir }, env: io.env });
  const path = identityPath(config.dataDir);
  let address: unknown;
  try {
    address = (JSON.parse(await readFile(path, "utf8")) as { address?: unknown }).address;
  } catch {
    throw new UsageError(`no node identity at ${path} to bind the proof to: pass --claimant ADDRESS (or run \`modelvault node init\`)`);
  }
  if (typeof address !== "string" || !isAddress(address)) throw new UsageError(`the keystore ${path} names no address: pass --claimant ADDRESS`);
  return getAddress(address);
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read the ${what} file ${path}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
}

async function readProofFile(path: string): Promise<ProofFile> {
  return parseProofFile(await readText(path, "proof"));
}

/** Commands that prove or verify end snarkjs' worker threads, so the process can exit. */
async function withCurve<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    const { terminateCurve } = await import("../../zkp/curve.js");
    await terminateCurve();
  }
}

export interface ProveOwnershipCliOptions extends ChainCliOptions {
  ownerSecretFile: string;
  weights?: string;
  claimant?: string;
  nonce?: string;
  output: string;
  force?: boolean;
}

export async function proveOwnershipCommand(modelIdText: string, options: ProveOwnershipCliOptions, io: CliIo): Promise<void> {
  const modelId = modelIdOf(modelIdText);
  if (options.nonce !== undefined && !/^[0-9]{1,76}$/.test(options.nonce)) throw new UsageError("--nonce must be a decimal integer");
  const claimant = options.claimant === undefined ? await nodeAddress(options, io) : addressOf("--claimant", options.claimant);
  const ownerSecret = await readOwnerSecret(options.ownerSecretFile);
  await checkFileOutput(options.output, options);
  const chain = await chainFor(options, io, false);
  try {
    const file = await withCurve(() =>
      proveOwnershipFile(chain, {
        modelId,
        ownerSecret,
        claimant,
        ...(options.nonce === undefined ? {} : { nonce: BigInt(options.nonce) }),
        ...(options.weights === undefined ? {} : { weightsPath: options.weights }),
      }),
    );
    await writeFile(options.output, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o644 });
    const summary = { output: options.output, kind: file.kind, modelId: file.modelId, version: file.version, prover: file.prover, nonce: file.publicSignals[4]! };
    if (options.json) return printJson(io, summary);
    printLines(io, [
      ["proof", options.output],
      ["model", `${file.modelId} version ${file.version}`],
      ["bound to", file.prover],
      ["nonce", summary.nonce],
    ]);
  } finally {
    await chain.close();
  }
}

export interface ProveInferenceCliOptions extends ChainCliOptions {
  input: string;
  weights: string;
  claimant?: string;
  output: string;
  reveal?: string;
  opening?: string;
  force?: boolean;
}

function revealOption(text: string | undefined): RevealMode | undefined {
  if (text === undefined || isRevealMode(text)) return text;
  throw new UsageError(`--reveal must be one of ${REVEAL_MODES.join(", ")}, got ${JSON.stringify(text.slice(0, 40))}`);
}

export async function proveInferenceCommand(modelIdText: string, options: ProveInferenceCliOptions, io: CliIo): Promise<void> {
  const modelId = modelIdOf(modelIdText);
  let input: unknown;
  try {
    input = JSON.parse(options.input);
  } catch {
    input = undefined;
  }
  if (!Array.isArray(input) || input.length === 0 || !input.every((v) => typeof v === "number" && Number.isFinite(v))) {
    throw new UsageError("--input must be a JSON array of numbers, e.g. [5.1,3.5,1.4,0.2]");
  }
  const reveal = revealOption(options.reveal) ?? "public";
  // Without its salt a committed output can never be opened to anyone: refuse rather than lose it.
  if (reveal === "committed" && options.opening === undefined) throw new UsageError("--reveal committed needs --opening FILE: the output commitment opens only with the salt written there");
  const prover = options.claimant === undefined ? await nodeAddress(options, io).catch(() => zeroAddress) : addressOf("--claimant", options.claimant);
  await checkFileOutput(options.output, options);
  if (options.opening !== undefined) await checkFileOutput(options.opening, options);
  const chain = await chainFor(options, io, false);
  try {
    const { file, opening } = await withCurve(() => proveInferenceWithOpening(chain, { modelId, weightsPath: options.weights, input: input as number[], prover, reveal }));
    await writeFile(options.output, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o644 });
    if (options.opening !== undefined) await writeFile(options.opening, `${JSON.stringify(opening, null, 2)}\n`, { mode: 0o600 });
    const summary = {
      output: options.output,
      ...(options.opening === undefined ? {} : { opening: options.opening }),
      kind: file.kind,
      circuit: file.circuit,
      reveal,
      modelId: file.modelId,
      version: file.version,
      ...(file.outputs === undefined ? {} : { outputs: file.outputs }),
      ...(file.predictedClass === undefined ? {} : { predictedClass: file.predictedClass }),
    };
    if (options.json) return printJson(io, summary);
    const revealed: [string, string] =
      reveal === "public" ? ["outputs", file.outputs!.join(", ")] : reveal === "argmax" ? ["class", String(file.predictedClass)] : ["outputs", `committed (${file.publicSignals[2]})`];
    printLines(io, [
      ["proof", options.output],
      ["model", `${file.modelId} version ${file.version} (${file.circuit})`],
      revealed,
      ...(options.opening === undefined ? [] : [["opening", `${options.opening} (private: salts and values)`] as [string, string]]),
    ]);
  } finally {
    await chain.close();
  }
}

export interface ProveWellFormedCliOptions extends ChainCliOptions {
  weights: string;
  claimant?: string;
  output: string;
  force?: boolean;
}

export async function proveWellFormedCommand(modelIdText: string, options: ProveWellFormedCliOptions, io: CliIo): Promise<void> {
  const modelId = modelIdOf(modelIdText);
  const prover = options.claimant === undefined ? await nodeAddress(options, io).catch(() => zeroAddress) : addressOf("--claimant", options.claimant);
  await checkFileOutput(options.output, options);
  const { proveWellFormedFile } = await import("../chain/wellformed.js");
  const chain = await chainFor(options, io, false);
  try {
    const file = await withCurve(() => proveWellFormedFile(chain, { modelId, weightsPath: options.weights, prover }));
    await writeFile(options.output, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o644 });
    const summary = { output: options.output, kind: file.kind, circuit: file.circuit, modelId: file.modelId, version: file.version };
    if (options.json) return printJson(io, summary);
    printLines(io, [
      ["proof", options.output],
      ["model", `${file.modelId} version ${file.version} (${file.circuit})`],
    ]);
  } finally {
    await chain.close();
  }
}

export interface VerifyCliOptions extends ChainCliOptions {
  model: string;
  version?: string;
  onChain?: boolean;
  claimant?: string;
  opening?: string;
}

export async function verifyCommand(path: string, options: VerifyCliOptions, io: CliIo): Promise<void> {
  const modelId = modelIdOf(options.model);
  if (options.version !== undefined && !/^[1-9][0-9]{0,4}$/.test(options.version)) throw new UsageError("--version must be a version number");
  const claimant = options.claimant === undefined ? undefined : addressOf("--claimant", options.claimant);
  const file = await readProofFile(path);
  const opening = options.opening === undefined ? undefined : parseOpeningFile(await readText(options.opening, "opening"));
  const chain = await chainFor(options, io, false);
  let verdict: ProofVerdict;
  try {
    verdict = await withCurve(() =>
      verifyProofFile(chain, file, {
        modelId,
        ...(options.version === undefined ? {} : { version: Number(options.version) }),
        ...(options.onChain ? { onChain: true } : {}),
        ...(claimant === undefined ? {} : { claimant }),
        ...(opening === undefined ? {} : { opening }),
      }),
    );
  } finally {
    await chain.close();
  }
  const openedValues = opening !== undefined && verdict.valid ? { input: opening.input, outputs: opening.outputs } : undefined;
  const opened = openedValues === undefined ? {} : { opened: openedValues };
  if (options.json) printJson(io, { ...verdict, ...opened });
  else {
    printLines(io, [
      ["proof", `${verdict.valid ? "VALID" : "INVALID"} ${verdict.kind} proof${verdict.reveal === undefined ? "" : ` (${verdict.reveal} output)`}, ${verdict.method}`],
      ["model", `${verdict.modelId} version ${verdict.version}`],
      ...(verdict.claimant === undefined ? [] : [["bound to", verdict.claimant] as [string, string]]),
      ...(verdict.nonceUsed === undefined ? [] : [["nonce", verdict.nonceUsed ? "already attested" : "unused"] as [string, string]]),
      ["checks", Object.entries(verdict.checks).map(([name, ok]) => `${name} ${ok ? "ok" : "FAILED"}`).join(", ")],
      ...(openedValues === undefined ? [] : [["opened", `input [${openedValues.input.join(", ")}], outputs [${openedValues.outputs.join(", ")}]`] as [string, string]]),
    ]);
  }
  if (!verdict.valid) throw new ProofInvalidError(verdict.reason ?? "unknown");
}

export async function attestOwnershipCommand(path: string, options: ChainCliOptions, io: CliIo): Promise<void> {
  const file = await readProofFile(path);
  const chain = await chainFor(options, io, true);
  try {
    const result = await attestOwnershipFile(chain, file);
    const summary = { ...result, blockNumber: Number(result.blockNumber) };
    if (options.json) return printJson(io, summary);
    printLines(io, [
      ["attested", `ownership of model ${result.modelId} version ${result.version} by ${result.claimant}`],
      ["tx", `${result.txHash} (block ${result.blockNumber})`],
    ]);
  } finally {
    await chain.close();
  }
}

export async function attestWellFormedCommand(path: string, options: ChainCliOptions, io: CliIo): Promise<void> {
  const file = await readProofFile(path);
  const { attestWellFormedFile } = await import("../chain/wellformed.js");
  const chain = await chainFor(options, io, true);
  try {
    const result = await attestWellFormedFile(chain, file);
    const summary = { ...result, blockNumber: Number(result.blockNumber) };
    if (options.json) return printJson(io, summary);
    printLines(io, [
      ["attested", `well-formedness of model ${result.modelId} version ${result.version}`],
      ["tx", `${result.txHash} (block ${result.blockNumber})`],
    ]);
  } finally {
    await chain.close();
  }
}

// ---- Inference verifiers: `model verifier ID` and `attest inference FILE` (node/chain/verifiers.ts).

/** Refusals that name a bad command-line value (exit 2): the model, the architecture, the address. */
const BAD_VALUE_CODES = new Set(["UNKNOWN_MODEL", "INVALID_ARCHITECTURE", "UNKNOWN_ARCHITECTURE", "NO_CONTRACT_CODE", "NOT_AN_INFERENCE_VERIFIER"]);

async function asValueRefusal<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof NodeError && BAD_VALUE_CODES.has(error.code) && !(error instanceof UsageError)) throw new UsageError(error.message, error.code);
    throw error;
  }
}

export interface ModelVerifierCliOptions extends ChainCliOptions {
  architecture?: string;
  address?: string;
  reveal?: string;
}

const verifierJson = (view: InferenceVerifierView) => ({ reveal: view.reveal, verifier: view.verifier, signals: view.signals, architecture: view.architecture });

/** `model verifier ID`: show the model's inference verifier; with --architecture or --address, set it (owner). */
export async function modelVerifierCommand(modelIdText: string, options: ModelVerifierCliOptions, io: CliIo): Promise<void> {
  const modelId = modelIdOf(modelIdText);
  if (options.architecture !== undefined && options.address !== undefined) throw new UsageError("--architecture and --address exclude each other: name the verifier one way");
  const reveal = revealOption(options.reveal);
  const { architectureId, inferenceVerifierOf, setInferenceVerifier } = await import("../chain/verifiers.js");
  let target: VerifierTarget | undefined;
  if (options.architecture !== undefined) target = { architecture: await asValueRefusal(async () => architectureId(options.architecture!, reveal)) };
  if (options.address !== undefined) target = { address: addressOf("--address", options.address), ...(reveal === undefined ? {} : { reveal }) };
  if (target === undefined) {
    const chain = await chainFor(options, io, false);
    try {
      const view = await asValueRefusal(() => inferenceVerifierOf(chain, modelId, reveal));
      if (options.json) return printJson(io, { modelId: view.modelId, ...verifierJson(view) });
      printLines(io, [
        ["model", view.modelId],
        ["verifier", view.verifier === null ? `none for ${view.reveal} outputs (the owner sets one with \`modelvault model verifier ${view.modelId} --architecture NAME\`)` : `${view.verifier} (${view.reveal} outputs, ${view.signals} public signals${view.architecture === null ? "" : `, ${view.architecture}`})`],
      ]);
    } finally {
      await chain.close();
    }
    return;
  }
  const { chain } = await chainWithIdentity(options, io);
  try {
    const result = await asValueRefusal(() => setInferenceVerifier(chain, modelId, target));
    if (options.json) {
      return printJson(io, {
        modelId: result.modelId,
        ...verifierJson(result),
        previous: verifierJson(result.previous),
        changed: result.tx !== null,
        txHash: result.tx?.txHash ?? null,
        wellFormedVerifier: result.wellFormedVerifier,
        wellFormedTxHash: result.wellFormedTx?.txHash ?? null,
        ...(result.tx === null ? {} : { blockNumber: Number(result.tx.blockNumber), gasCost: result.tx.gasCost.toString() }),
      });
    }
    printLines(io, [
      ["model", result.modelId],
      ["verifier", `${result.verifier} (${result.reveal} outputs, ${result.signals} public signals${result.architecture === null ? "" : `, ${result.architecture}`})`],
      ["tx", result.tx?.txHash ?? "none (the model already has this verifier)"],
      ["well-formedness", result.wellFormedVerifier === null ? "not set (name an --architecture the deployment has)" : `${result.wellFormedVerifier}${result.wellFormedTx === null ? " (already set)" : ` (tx ${result.wellFormedTx.txHash})`}`],
    ]);
  } finally {
    await chain.close();
  }
}

/** `attest inference FILE`: record an inference proof through the model's verifier, from this node's account. */
export async function attestInferenceCommand(path: string, options: ChainCliOptions, io: CliIo): Promise<void> {
  const file = await readProofFile(path);
  const { attestInferenceFile } = await import("../chain/verifiers.js");
  const chain = await chainFor(options, io, true);
  try {
    const result = await asValueRefusal(() => attestInferenceFile(chain, file));
    const summary = { ...result, blockNumber: Number(result.blockNumber) };
    if (options.json) return printJson(io, summary);
    printLines(io, [
      ["attested", `inference of model ${result.modelId} version ${result.version}, ${result.reveal} outputs (${result.attestationId})`],
      ["verifier", result.verifier],
      ["tx", `${result.txHash} (block ${result.blockNumber})`],
    ]);
  } finally {
    await chain.close();
  }
}
