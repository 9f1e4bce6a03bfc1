/** `modelvault fetch CID -o FILE`: the manifest checked here, the content decrypted here. */
import { printJson, printLines, type CliIo } from "./io.js";
import { downloadDecrypted, openModel, type FetchCliOptions } from "./model-client.js";
import { isDirectoryManifest, type DirectoryManifest, type SignedManifest } from "../models/manifest.js";
import { UsageError } from "./usage-error.js";

export async function fetchCommand(cidText: string, options: FetchCliOptions, io: CliIo): Promise<void> {
  const { cid, key, client, query, signed } = await openModel(cidText, options, io);
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

