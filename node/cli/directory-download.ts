/**
 * `modelvault fetch CID -o DIR` (and `access`) for a directory model: the selection and the output
 * checked before any content is requested (node/models/directory-output.ts), then every selected
 * file streamed from `GET /v1/content/<file CID>` and decrypted here under its per-file key.
 */
import { hexToBytes } from "viem";
import { fileKey } from "../../crypto/directory.js";
import { DirectoryOutput, type DirectoryOutputResult } from "../models/directory-output.js";
import type { DirectoryFile, DirectoryManifest, SignedManifest } from "../models/manifest.js";
import type { ApiClient } from "./api-client.js";
import { printJson, printLines, progressBar, type CliIo } from "./io.js";
import { checkContentKey, decryptedFromApi, type DownloadOptions, type FetchCliOptions } from "./model-client.js";
import { UsageError } from "./usage-error.js";

export interface DirectoryCliOptions {
  output: string;
  include?: string[];
  exclude?: string[];
  force?: boolean;
  file?: string;
}

/** -o, --include, --exclude and --force for a directory model, checked; nothing is written yet. */
export async function planDirectoryDownload(manifestCid: string, signed: SignedManifest<DirectoryManifest>, options: DirectoryCliOptions): Promise<DirectoryOutput> {
  if (options.file !== undefined) throw new UsageError("--file goes with --tensor");
  return DirectoryOutput.plan(options.output, manifestCid, signed.manifest.files, { include: options.include, exclude: options.exclude, force: options.force });
}

/** One file of the directory from the API, decrypted under fileKey(content key, path). */
async function* fileFromApi(client: ApiClient, file: DirectoryFile, key: Uint8Array, modelId: Uint8Array, query: Record<string, string | undefined>) {
  const perFile = fileKey(key, file.path);
  try {
    yield* decryptedFromApi(client, file, perFile, modelId, query);
  } finally {
    perFile.fill(0);
  }
}

/** Writes the planned output, file after file, with progress over the selection (detail: the file). */
export async function downloadDirectory(
  client: ApiClient,
  signed: SignedManifest<DirectoryManifest>,
  key: Uint8Array,
  output: DirectoryOutput,
  query: Record<string, string | undefined>,
  io: CliIo,
  options: DownloadOptions,
): Promise<DirectoryOutputResult> {
  checkContentKey(signed.manifest, key);
  const modelId = hexToBytes(signed.manifest.modelId);
  const progress = progressBar(io, options, options.progressLabel ?? "fetch", output.totalBytes);
  try {
    return await output.write(
      (file) => fileFromApi(client, file, key, modelId, query),
      ({ bytes, file }) => progress.update(bytes, { file }),
    );
  } finally {
    progress.stop();
  }
}

/** What the text output says about a written directory. */
export function describeDirectory(result: DirectoryOutputResult): string {
  const resumed = result.files.filter((f) => f.resumed).length;
  return `${result.output} (${result.files.length} file${result.files.length === 1 ? "" : "s"}, ${result.totalBytes} bytes${resumed > 0 ? `; ${resumed} already complete, kept` : ""})`;
}

export async function fetchDirectoryCommand(
  client: ApiClient,
  signed: SignedManifest<DirectoryManifest>,
  key: Uint8Array,
  options: FetchCliOptions,
  query: Record<string, string | undefined>,
  io: CliIo,
  manifestCid: string,
): Promise<void> {
  checkContentKey(signed.manifest, key);
  const output = await planDirectoryDownload(manifestCid, signed, options);
  const result = await downloadDirectory(client, signed, key, output, query, io, options);
  const { manifest } = signed;
  if (options.json) {
    printJson(io, {
      manifestCid,
      contentCid: manifest.content.toString(),
      owner: manifest.owner,
      name: manifest.name ?? null,
      output: result.output,
      bytes: result.totalBytes,
      fetchedBytes: result.fetchedBytes,
      files: result.files,
    });
  } else {
    printLines(io, [
      ["wrote", describeDirectory(result)],
      ["owner", `${manifest.owner} (signature verified)`],
      ["manifest CID", manifestCid],
    ]);
  }
}
