/** Placeholder: implemented by the directory fetch work (issue 12 part 2). */
import type { DirectoryManifest, SignedManifest } from "../models/manifest.js";
import type { ApiClient } from "./api-client.js";
import type { CliIo } from "./io.js";
import type { FetchCliOptions } from "./model-client.js";

export async function fetchDirectoryCommand(
  _client: ApiClient,
  _signed: SignedManifest<DirectoryManifest>,
  _key: Uint8Array,
  _options: FetchCliOptions,
  _query: Record<string, string | undefined>,
  _io: CliIo,
): Promise<void> {
  throw new Error("not implemented yet");
}
