/** Placeholder: implemented by the tensors work (issue 12 part 3). */
import type { SignedManifest } from "../models/manifest.js";
import type { ApiClient } from "./api-client.js";
import type { CliIo } from "./io.js";
import type { FetchCliOptions } from "./model-client.js";

export type TensorsCliOptions = Omit<FetchCliOptions, "output">;

export async function tensorsCommand(_cid: string, _file: string | undefined, _options: TensorsCliOptions, _io: CliIo): Promise<void> {
  throw new Error("not implemented yet");
}

export async function fetchTensorsCommand(
  _client: ApiClient,
  _signed: SignedManifest,
  _key: Uint8Array,
  _options: FetchCliOptions,
  _query: Record<string, string | undefined>,
  _io: CliIo,
): Promise<void> {
  throw new Error("not implemented yet");
}
