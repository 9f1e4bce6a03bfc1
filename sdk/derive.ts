/** The key commitment in the SDK: crypto/derive.ts's, with its failure as an SdkError (INVALID_ARGUMENT). */
import { keyCommitment as coreKeyCommitment } from "../crypto/derive.js";
import { sdkSync } from "./errors.js";

/** HKDF(key, salt = "", info = "modelvault/v1/key-commitment", 32): in the manifest, every share and every sealed header. */
export function keyCommitment(key: Uint8Array): Uint8Array {
  return sdkSync(() => coreKeyCommitment(key));
}
