/** Manifests in the API's answers: plain JSON, CIDs as strings (crypto/manifest-schema.ts manifestFromJson reads them back). */
import { isDirectoryManifest, type Manifest, type SignedManifest } from "../models/manifest.js";

/** A signed manifest as plain JSON: CIDs as strings. */
export function manifestJson(signed: SignedManifest) {
  return manifestToJson(signed.manifest);
}

/** A manifest (signed or not yet) as plain JSON: CIDs as strings (crypto's manifestFromJson reads it back). */
export function manifestToJson(manifest: Manifest) {
  if (isDirectoryManifest(manifest)) {
    return { ...manifest, content: manifest.content.toString(), files: manifest.files.map((f) => ({ ...f, cid: f.cid.toString() })) };
  }
  return { ...manifest, content: manifest.content.toString() };
}
