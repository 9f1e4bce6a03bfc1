/** `modelvault publish FILE`: a thin client of the node's API (POST /v1/models). */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { printJson, printLines, progressBar, type CliIo, type ProgressOptions } from "./io.js";
import { apiClientFor } from "./model-client.js";
import type { CommonOptions } from "./node-commands.js";
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
}

export async function publishCommand(file: string, options: PublishCliOptions, io: CliIo): Promise<void> {
  const client = await apiClientFor(options, io);
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new UsageError(`${file} is not a file`);
    size = info.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  // A registering publish names itself by its content and parameters, so running the same
  // command again after a crash or a lost answer returns the registered model, never a second one.
  const custody = options.register === true || options.rotate !== undefined;
  const idempotencyKey = custody ? await publishIdempotencyKey(file, options) : undefined;
  const body = createReadStream(file);
  const progress = progressBar(io, options, "publish", size);
  let sent = 0;
  body.on("data", (chunk) => progress.update((sent += chunk.length)));
  let result: {
    manifestCid: string;
    contentCid: string;
    key: string;
    keyWarning: string;
    manifest: Record<string, unknown>;
    modelId?: string;
    version?: number;
    txHash?: string;
    replayed?: boolean;
  };
  try {
    result = await client.json({
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
      },
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(size),
        ...(idempotencyKey === undefined ? {} : { "idempotency-key": idempotencyKey }),
      },
      body,
    });
  } finally {
    progress.stop();
    body.destroy();
  }
  if (options.json) {
    printJson(io, result);
    return;
  }
  if (result.replayed) {
    printLines(io, [
      ["manifest CID", result.manifestCid],
      ["model", `${result.modelId} version ${result.version} (already registered by an earlier run of this publish)`],
    ]);
    return;
  }
  printLines(io, [
    ["manifest CID", result.manifestCid],
    ["content CID", result.contentCid],
    ...(result.modelId === undefined ? [] : [["model", `${result.modelId} version ${result.version} (tx ${result.txHash})`] as [string, string]]),
    ["key", result.key],
    ["size", `${size} bytes`],
  ]);
  io.stderr.write(`WARNING: ${result.keyWarning}\n`);
}

/** sha256 over the file and the parameters that shape the publish. */
async function publishIdempotencyKey(file: string, options: PublishCliOptions): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  const { name, segmentSize, weightsCommitment, custodians, threshold, register, rotate, price, duration, maxUses, minStake, carryOver } = options;
  hash.update(JSON.stringify({ name, segmentSize, weightsCommitment, custodians, threshold, register, rotate, price, duration, maxUses, minStake, carryOver }));
  return `publish-v1-${hash.digest("hex")}`;
}

