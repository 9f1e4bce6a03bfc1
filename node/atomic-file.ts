/** Whole-file writes that a crash cannot tear: a temp file, fsync, rename over the target. */
import { open, rename, rm } from "node:fs/promises";

export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const file = await open(temp, "w", 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } catch (error) {
    await file.close();
    await rm(temp, { force: true });
    throw error;
  }
  await file.close();
  await rename(temp, path);
}
