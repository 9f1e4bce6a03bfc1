/** `modelvault fetch CID -o FILE`: the manifest checked here, the content decrypted here. */
import { CID } from "multiformats/cid";
import { getAddress, isAddress } from "viem";
import { printJson, printLines, progressModeOf, type CliIo } from "./io.js";
import { apiClientFor, downloadDecrypted, keyOf, verifiedManifest, type FetchCliOptions } from "./model-client.js";
import { isDirectoryManifest, type DirectoryManifest, type SignedManifest } from "../models/manifest.js";
import { UsageError } from "./usage-error.js";

export async function fetchCommand(cidText: string, options: FetchCliOptions, io: CliIo): Promise<void> {
  const key = await keyOf(options);
  let cid: CID;
  try {
    cid = CID.parse(cidText);
  } catch {
    throw new UsageError(`not a CID: ${JSON.stringify(cidText.slice(0, 100))}`);
  }
  if (options.expectedOwner !== undefined && !isAddress(options.expectedOwner)) throw new UsageError("--expected-owner must be an address");
  if (options.timeout !== undefined && !/^[0-9]{1,7}$/.test(options.timeout)) throw new UsageError("--timeout must be milliseconds");
  progressModeOf(options); // a bad --progress is refused before anything is read
  const client = await apiClientFor(options, io);
  const query = { timeoutMs: options.timeout };
  const owner = options.expectedOwner === undefined ? undefined : getAddress(options.expectedOwner);
  const signed = await verifiedManifest(client, cid, query, owner);
  const { manifest } = signed;
  if (options.tensor !== undefined) return (await import("./tensors-command.js")).fetchTensorsCommand(client, signed, key, options, query, io);
  if (isDirectoryManifest(manifest)) {
    return (await import("./directory-download.js")).fetchDirectoryCommand(client, signed as SignedManifest<DirectoryManifest>, key, options, query, io, cid.toString());
  }
  for (const [flag, value] of [["--include", options.include], ["--exclude", options.exclude], ["--file", options.file]] as const) {
    if (value !== undefined) throw new UsageError(`${flag} is for directory models; ${cid} is one file`);
  }
  const received = await downloadDecrypted(client, signed, key, options.output, query, io, options);
  const summary = {
    manifestCid: cid.toString(),
    contentCid: manifest.content.toString(),
    owner: manifest.owner,
    name: manifest.name ?? null,
    bytes: received,
    output: options.output,
  };
  if (options.json) printJson(io, summary);
  else {
    printLines(io, [
      ["wrote", `${options.output} (${received} bytes)`],
      ["owner", `${manifest.owner} (signature verified)`],
      ["manifest CID", summary.manifestCid],
    ]);
  }
}

