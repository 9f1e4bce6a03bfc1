/**
 * `modelvault publish PATH`: a thin client of the node's API (POST /v1/models). A file goes up
 * as application/octet-stream; a directory as one model version, a tar stream
 * (application/x-tar) built while it is sent (publish-directory-walk.ts).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { ApiClient } from "./api-client.js";
import { printJson, printLines, progressBar, type CliIo, type ProgressOptions } from "./io.js";
import { apiClientFor } from "./model-client.js";
import type { CommonOptions } from "./node-commands.js";
import { directoryIdempotencyKey, tarUpload, walkModelDirectory } from "./publish-directory-walk.js";
import { UsageError } from "./usage-error.js";

export interface PublishCliOptions extends CommonOptions, ProgressOptions {
  name?: string;
  segmentSize?: string;
  weightsCommitment?: string;
  custodians?: string;
  threshold?: string;
  register?: boolean;
  rotate?: string;
  price?: string;
  duration?: string;
  maxUses?: string;
  minStake?: string;
  carryOver?: boolean;
  /** With --register/--rotate: the owner secret (a decimal field element) behind the owner commitment. */
  ownerSecretFile?: string;
  /** With --register/--rotate: set this architecture's inference verifier for the model after registering. */
  architecture?: string;
}

/** What POST /v1/models answers (plus `files` for a directory). */
interface PublishAnswer {
  manifestCid: string;
  contentCid: string;
  key: string;
  keyWarning: string;
  manifest: Record<string, unknown>;
  files?: { path: string; plaintextSize: number; sealedSize: number; cid: string }[];
  modelId?: string;
  version?: number;
  txHash?: string;
  replayed?: boolean;
  ownerCommitment?: string;
  /** Only when the node generated it (no --owner-secret-file): shown once. */
  ownerSecret?: string;
  ownerSecretWarning?: string;
  /** With --architecture: the inference verifier set for the model (or why it was not). */
  inferenceVerifier?: { architecture: string; verifier?: string; signals?: number; txHash?: string | null; error?: { code: string; message: string } };
}

export async function publishCommand(path: string, options: PublishCliOptions, io: CliIo): Promise<void> {
  // A rotation keeps the model's terms (publishVersion does not touch them): refuse rather than ignore them.
  const terms = ([["--price", options.price], ["--duration", options.duration], ["--max-uses", options.maxUses], ["--min-stake", options.minStake], ["--carry-over", options.carryOver]] as const)
    .filter(([, value]) => value !== undefined).map(([flag]) => flag);
  if (options.rotate !== undefined && terms.length > 0) {
    throw new UsageError(`${terms.join(", ")}: a rotation keeps the model's terms; change them with \`modelvault model terms ${options.rotate} ${terms[0]} …\``);
  }
  if (options.architecture !== undefined && !registering(options)) {
    throw new UsageError("--architecture goes with --register or --rotate: the model's inference verifier is set on chain after registering");
  }
  const client = await apiClientFor(options, io);
  const ownerSecret = await readOwnerSecretOption(options);
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  if (info.isDirectory()) return publishDirectoryCommand(client, path, options, io, ownerSecret);
  if (!info.isFile()) throw new UsageError(`${path} is not a file or a directory`);
  const size = info.size;
  // A registering publish names itself by its content and parameters, so running the same
  // command again after a crash or a lost answer returns the registered model, never a second one.
  const idempotencyKey = registering(options) ? await publishIdempotencyKey(path, options) : undefined;
  const body = createReadStream(path);
  const progress = progressBar(io, options, "publish", size);
  let sent = 0;
  body.on("data", (chunk) => progress.update((sent += chunk.length)));
  let result: PublishAnswer;
  try {
    result = await post(client, options, body, { "content-type": "application/octet-stream", "content-length": String(size) }, idempotencyKey, ownerSecret);
  } finally {
    progress.stop();
    body.destroy();
  }
  if (options.json) return printJson(io, result);
  printAnswer(io, result, [["size", `${size} bytes`]]);
}

/** A directory as one version: walked and checked first, then streamed as a tar. */
async function publishDirectoryCommand(client: ApiClient, dir: string, options: PublishCliOptions, io: CliIo, ownerSecret: string | undefined): Promise<void> {
  const walk = await walkModelDirectory(dir); // every path checked before anything is sent
  const idempotencyKey = registering(options) ? await directoryIdempotencyKey(walk, parametersOf(options)) : undefined;
  const progress = progressBar(io, options, "publish", walk.totalBytes);
  const upload = tarUpload(walk, (done, file) => progress.update(done, { file }));
  let result: PublishAnswer;
  try {
    result = await post(client, options, upload.body, { "content-type": "application/x-tar" }, idempotencyKey, ownerSecret);
  } catch (error) {
    throw upload.failure() ?? error; // a file that changed explains a cut upload better
  } finally {
    progress.stop();
    upload.body.destroy();
  }
  const failure = upload.failure();
  if (failure !== undefined) throw failure;
  if (options.json) return printJson(io, { ...result, ...(walk.skipped.length === 0 ? {} : { skipped: walk.skipped }) });
  const count = result.files?.length ?? walk.files.length;
  printAnswer(io, result, [
    ["files", `${count} file${count === 1 ? "" : "s"}`],
    ["size", `${walk.totalBytes} bytes`],
    ...(walk.skipped.length === 0 ? [] : [["skipped", `${walk.skipped.join(", ")} (not published)`] as [string, string]]),
  ]);
}

const registering = (options: PublishCliOptions) => options.register === true || options.rotate !== undefined;

/** The options that shape a publish (what its Idempotency-Key covers besides the content). */
function parametersOf(options: PublishCliOptions) {
  const { name, segmentSize, weightsCommitment, custodians, threshold, register, rotate, price, duration, maxUses, minStake, carryOver, ownerSecretFile } = options;
  return { name, segmentSize, weightsCommitment, custodians, threshold, register, rotate, price, duration, maxUses, minStake, carryOver, ownerSecretFile };
}

/** --owner-secret-file: its first line, a decimal field element (checked by the node too). */
async function readOwnerSecretOption(options: PublishCliOptions): Promise<string | undefined> {
  if (options.ownerSecretFile === undefined) return undefined;
  if (!registering(options)) throw new UsageError("--owner-secret-file goes with --register or --rotate: the owner commitment is recorded on chain");
  const { readOwnerSecret } = await import("./owner-secret.js");
  return (await readOwnerSecret(options.ownerSecretFile)).toString();
}

function post(
  client: ApiClient,
  options: PublishCliOptions,
  body: Readable,
  headers: Record<string, string>,
  idempotencyKey: string | undefined,
  ownerSecret: string | undefined,
) {
  return client.json<PublishAnswer>({
    method: "POST",
    path: "/v1/models",
    query: {
      name: options.name,
      segmentSize: options.segmentSize,
      weightsCommitment: options.weightsCommitment,
      custodians: options.custodians,
      threshold: options.threshold,
      register: options.register ? "true" : undefined,
      rotate: options.rotate,
      price: options.price,
      duration: options.duration,
      maxUses: options.maxUses,
      minStake: options.minStake,
      carryOver: options.carryOver ? "true" : undefined,
      architecture: options.architecture,
    },
    headers: {
      ...headers,
      ...(idempotencyKey === undefined ? {} : { "idempotency-key": idempotencyKey }),
      ...(ownerSecret === undefined ? {} : { "owner-secret": ownerSecret }),
    },
    body,
  });
}

/** The text answer: CIDs, the model on chain, what was published, the key (and its warning on stderr). */
function printAnswer(io: CliIo, result: PublishAnswer, details: [string, string][]): void {
  if (result.replayed) {
    printLines(io, [
      ["manifest CID", result.manifestCid],
      ["model", `${result.modelId} version ${result.version} (already registered by an earlier run of this publish)`],
      ...verifierLine(result),
    ]);
    return;
  }
  printLines(io, [
    ["manifest CID", result.manifestCid],
    ["content CID", result.contentCid],
    ...(result.modelId === undefined ? [] : [["model", `${result.modelId} version ${result.version} (tx ${result.txHash})`] as [string, string]]),
    ...(result.ownerCommitment === undefined ? [] : [["owner commitment", result.ownerCommitment] as [string, string]]),
    ...(result.ownerSecret === undefined ? [] : [["owner secret", result.ownerSecret] as [string, string]]),
    ...verifierLine(result),
    ["key", result.key],
    ...details,
  ]);
  io.stderr.write(`WARNING: ${result.keyWarning}\n`);
  if (result.ownerSecretWarning !== undefined) io.stderr.write(`WARNING: ${result.ownerSecretWarning}\n`);
}

/** The inference verifier line of --architecture (a failure also goes to stderr: the model is registered all the same). */
function verifierLine(result: PublishAnswer): [string, string][] {
  const set = result.inferenceVerifier;
  if (set === undefined) return [];
  if (set.error !== undefined) return [["inference verifier", `NOT SET (${set.error.code}): ${set.error.message}`]];
  return [["inference verifier", `${set.verifier} (${set.architecture}${set.txHash === null ? ", already set" : `, tx ${set.txHash}`})`]];
}

/** sha256 over the file and the parameters that shape the publish. */
async function publishIdempotencyKey(file: string, options: PublishCliOptions): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  hash.update(JSON.stringify(parametersOf(options)));
  return `publish-v1-${hash.digest("hex")}`;
}
