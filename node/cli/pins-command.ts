/** `modelvault pins [ls]`, `pins add CID`, `pins rm CID`. */
import { CID } from "multiformats/cid";
import type { PinnedModelInfo } from "../http/pins.js";
import { printJson, sizeOf, type CliIo } from "./io.js";
import { apiClientFor } from "./model-client.js";
import { UsageError } from "./usage-error.js";
import type { CommonOptions } from "./node-commands.js";

export interface PinsCliOptions extends CommonOptions {
  timeout?: string;
}

function checkCid(text: string | undefined): string {
  if (text === undefined) throw new UsageError("a CID is required");
  try {
    return CID.parse(text).toString();
  } catch {
    throw new UsageError(`not a CID: ${JSON.stringify(text.slice(0, 100))}`);
  }
}


/** One line a pin: CID, why it is pinned, and for a model's manifest its name, version and size. */
function printPins(io: CliIo, pins: PinnedModelInfo[]): void {
  const rows = pins.map((pin) => {
    const kind = String(pin.metadata.kind ?? pin.metadata.source ?? "");
    const m = pin.model;
    if (m === undefined) return [pin.cid, kind, "", "", ""];
    const size = `${sizeOf(m.plaintextSize)}${m.files === undefined ? "" : ` in ${m.files} file${m.files === 1 ? "" : "s"}`}`;
    return [pin.cid, kind, m.name ?? "(unnamed)", `v${m.version}`, size];
  });
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) io.stdout.write(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd() + "\n");
}

export async function pinsCommand(action: string | undefined, cidText: string | undefined, options: PinsCliOptions, io: CliIo): Promise<void> {
  const client = await apiClientFor(options, io);
  switch (action ?? "ls") {
    case "ls": {
      if (cidText !== undefined) throw new UsageError("pins ls takes no CID");
      const { pins } = await client.json<{ pins: PinnedModelInfo[] }>({ path: "/v1/pins" });
      if (options.json) printJson(io, { pins });
      else if (pins.length === 0) io.stdout.write("no pins\n");
      else printPins(io, pins);
      return;
    }
    case "add": {
      const cid = checkCid(cidText);
      const result = await client.json<{ added: boolean }>({ method: "POST", path: `/v1/pins/${cid}`, query: { timeoutMs: options.timeout } });
      if (options.json) printJson(io, { cid, pinned: true, added: result.added });
      else io.stdout.write(`pinned ${cid}${result.added ? "" : " (already pinned)"}\n`);
      return;
    }
    case "rm": {
      const cid = checkCid(cidText);
      await client.json({ method: "DELETE", path: `/v1/pins/${cid}` });
      if (options.json) printJson(io, { cid, pinned: false });
      else io.stdout.write(`unpinned ${cid} (its blocks go at the next garbage collection)\n`);
      return;
    }
    default:
      throw new UsageError(`unknown pins action ${JSON.stringify(action)}: use ls, add CID or rm CID`);
  }
}
