/** Placeholder: implemented by the directory publish work (issue 12 part 4). */
import type { CliIo } from "./io.js";
import type { ChainCliOptions } from "./custody-commands.js";

export async function versionsCommand(_modelId: string, _options: ChainCliOptions & { timeout?: string }, _io: CliIo): Promise<void> {
  throw new Error("not implemented yet");
}
