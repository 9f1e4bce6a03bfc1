/**
 * The owner secret file of `publish --owner-secret-file` and `prove ownership`: its first line,
 * a decimal field element 1 .. p-1 (BN254), as `publish` prints it. A bad file is a bad
 * command-line value (exit 2).
 */
import { readFile } from "node:fs/promises";
import { FIELD_P } from "../../zkp/field.js";
import { UsageError } from "./usage-error.js";

export async function readOwnerSecret(file: string): Promise<bigint> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read the owner secret file ${file}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  const line = (text.split(/\r?\n/)[0] ?? "").trim();
  if (!/^[0-9]{1,78}$/.test(line) || BigInt(line) === 0n || BigInt(line) >= FIELD_P) {
    throw new UsageError(`the owner secret file ${file} must hold a decimal field element, 1 .. p-1 (as publish prints it)`);
  }
  return BigInt(line);
}
