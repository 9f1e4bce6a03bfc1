/**
 * `modelvault tensors CID [FILE]` and `modelvault fetch CID --tensor NAME -o out.safetensors`:
 * ciphertext byte ranges from the node's API (`GET /v1/content/<cid>` with `Range`), decrypted
 * and checked here; the node never sees the key. Only the segments holding the safetensors
 * headers, and then the tensors asked for, are requested, several at once.
 */
import type { IncomingMessage } from "node:http";
import { hexToBytes } from "viem";
import { constantTimeEqual, keyCommitment, WrongKeyError, type ReadSealedRange } from "../../crypto/index.js";
import { ContentInterruptedError, ContentMismatchError } from "../errors.js";
import type { Manifest, SignedManifest } from "../models/manifest.js";
import { checkTensorOutput, writeTensorsFile } from "../models/tensor-file.js";
import { listSealedTensors, resolveTensors, TensorSelectionError, type ModelFile, type TensorListing, type TensorSource } from "../models/tensor-listing.js";
import type { ApiClient } from "./api-client.js";
import { printJson, printLines, progressBar, type CliIo } from "./io.js";
import { isCutShort, openModel, type FetchCliOptions } from "./model-client.js";
import { UsageError } from "./usage-error.js";

export type TensorsCliOptions = Omit<FetchCliOptions, "output">;

/** Reads ciphertext ranges of one sealed file with `Range` requests to the API. */
function rangeReader(client: ApiClient, file: ModelFile, query: Record<string, string | undefined>): ReadSealedRange {
  return async (start, end, signal) => {
    const parts: Buffer[] = [];
    let received = 0;
    let response: IncomingMessage | undefined;
    try {
      response = await client.send({ path: `/v1/content/${file.cid}`, query, headers: { range: `bytes=${start}-${end - 1}` }, signal });
      for await (const part of response as AsyncIterable<Buffer>) {
        parts.push(part);
        received += part.length;
      }
    } catch (error) {
      response?.destroy();
      if (isCutShort(error)) throw new ContentInterruptedError(file.cid.toString(), received, end - start, { cause: error });
      throw error;
    }
    if (response.statusCode !== 206 || received !== end - start) {
      throw new ContentMismatchError(`the node answered ${response.statusCode} with ${received} bytes for bytes ${start}-${end - 1} of ${file.cid}`);
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  };
}

function apiSource(client: ApiClient, manifest: Manifest, key: Uint8Array, query: Record<string, string | undefined>): TensorSource {
  if (!constantTimeEqual(keyCommitment(key), hexToBytes(manifest.keyCommitment))) throw new WrongKeyError();
  return { manifest, key, reader: (file) => rangeReader(client, file, query) };
}

const shapeText = (shape: number[]) => `[${shape.join(", ")}]`;

function printListing(io: CliIo, listing: TensorListing): void {
  const rows = listing.tensors.map((t) => [t.name, t.dtype, shapeText(t.shape), String(t.end - t.start), t.file ?? "-", `${t.dataOffsets[0]}-${t.dataOffsets[1]}`]);
  const table = [["NAME", "DTYPE", "SHAPE", "BYTES", "FILE", "DATA OFFSETS"], ...rows];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  for (const row of table) io.stdout.write(row.map((cell, c) => (c === 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  ").trimEnd() + "\n");
  const files = listing.files.length === 1 ? "" : ` in ${listing.files.length} files`;
  io.stdout.write(`${listing.tensors.length} tensors${files}\n`);
}

export async function tensorsCommand(cidText: string, file: string | undefined, options: TensorsCliOptions, io: CliIo): Promise<void> {
  const { client, key, query, signed } = await openModel(cidText, options, io);
  const listing = await listSealedTensors(apiSource(client, signed.manifest, key, query), { file });
  if (options.json) printJson(io, listing);
  else printListing(io, listing);
}

/** `fetch --tensor`: dispatched by fetch-command.ts once the manifest checked out. */
export async function fetchTensorsCommand(
  client: ApiClient,
  signed: SignedManifest,
  key: Uint8Array,
  options: FetchCliOptions,
  query: Record<string, string | undefined>,
  io: CliIo,
): Promise<void> {
  const patterns = options.tensor ?? [];
  if (patterns.some((p) => p === "")) throw new UsageError("--tensor needs a name or a glob");
  for (const [flag, value] of [["--include", options.include], ["--exclude", options.exclude]] as const) {
    if (value !== undefined) throw new UsageError(`${flag} selects files; with --tensor, name the safetensors file with --file`);
  }
  await checkTensorOutput(options.output, options.force); // before anything is fetched
  const source = apiSource(client, signed.manifest, key, query);
  let resolved;
  try {
    resolved = await resolveTensors(source, patterns, { file: options.file });
  } catch (error) {
    if (error instanceof TensorSelectionError) throw new UsageError(error.message);
    throw error;
  }
  const { opened, selected } = resolved;
  const total = selected.reduce((n, t) => n + t.end - t.start, 0);
  const progress = progressBar(io, options, "fetch", total);
  let bytes: number;
  try {
    bytes = await writeTensorsFile(options.output, opened, selected, {
      force: options.force,
      onProgress: (p) => progress.update(p.bytes, p.file === null ? undefined : { file: p.file }),
    });
  } finally {
    progress.stop();
  }
  const summary = {
    output: options.output,
    bytes,
    contentCid: signed.manifest.content.toString(),
    owner: signed.manifest.owner,
    tensors: selected.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, file: t.file })),
  };
  if (options.json) printJson(io, summary);
  else {
    printLines(io, [
      ["wrote", `${options.output} (${selected.length} tensor${selected.length === 1 ? "" : "s"}, ${bytes} bytes)`],
      ["tensors", selected.map((t) => t.name).join(", ").slice(0, 500)],
      ["owner", `${signed.manifest.owner} (signature verified)`],
    ]);
  }
}
