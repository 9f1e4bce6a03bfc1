/**
 * The manifest's schema, one implementation for the node and the SDK (no Node built-ins):
 * format 1 describes one sealed file, format 2 a directory of sealed files. docs/FORMAT.md is the
 * spec. Signing, encoding and decoding live with their callers (node/models/manifest.ts,
 * sdk/manifest.ts); both parse with these schemas.
 */
import { CID } from "multiformats/cid";
import type { Address, Hex } from "viem";
import { z } from "zod";
import { checkModelPaths, MAX_DIRECTORY_FILES, MAX_PATH_BYTES } from "./directory.js";

export const MANIFEST_FORMAT = "modelvault/manifest/1";
export const DIRECTORY_MANIFEST_FORMAT = "modelvault/manifest/2";

const hex = (bytes: number) =>
  z.string().regex(new RegExp(`^0x[0-9a-f]{${bytes * 2}}$`), `${bytes}-byte lowercase hex`) as unknown as z.ZodType<Hex>;
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address") as unknown as z.ZodType<Address>;
const cid = z.custom<CID>((v) => CID.asCID(v) !== null, "a CID");
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** Fields every format shares. */
const common = {
  /** The 32-byte id bound into every sealed stream's header and segments. */
  modelId: hex(32),
  /** Key version: rotation publishes a new manifest with version + 1. */
  version: z.number().int().min(1),
  name: z.string().max(200).optional(),
  owner: address,
  cipher: z.literal("aes-256-gcm-stream/1"),
  /** Plaintext bytes per segment, for every sealed stream of the model. */
  segmentSize: z.number().int().min(1).max(2 ** 24),
  /** crypto keyCommitment(content key): checks a recombined key before any fetch. */
  keyCommitment: hex(32),
  /** SHA-256 Merkle root over 4 KiB ciphertext segments, for storage challenges. Format 2: over
   * the sealed files concatenated in `files` order. */
  storage: z.object({ root: hex(32), segmentSize: z.literal(4096) }).strict(),
  /** Poseidon commitment of the quantized weights (decimal field element), when a model. */
  weightsCommitment: z.string().regex(/^[0-9]{1,78}$/).optional(),
  custodians: z.array(address).max(64),
  threshold: z.number().int().min(0).max(255),
};

const thresholdHolds = (m: { custodians: unknown[]; threshold: number }) =>
  m.custodians.length === 0 ? m.threshold === 0 : m.threshold >= 1 && m.threshold <= m.custodians.length;
const thresholdMessage = { message: "threshold must be 1..custodians (or 0 without custodians)" };

export const fileManifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    ...common,
    /** The sealed stream (header + frames) as a UnixFS file, one frame per raw leaf. */
    content: cid,
    plaintextSize: count,
    sealedSize: count,
    noncePrefix: hex(7),
  })
  .strict()
  .refine(thresholdHolds, thresholdMessage);

/** One file of a directory model: its own sealed stream, under fileKey(content key, path). */
export const directoryFileSchema = z
  .object({
    path: z.string().min(1).max(MAX_PATH_BYTES),
    /** The sealed stream as a UnixFS file (also linked at `path` under `content`). */
    cid,
    plaintextSize: count,
    sealedSize: count,
    noncePrefix: hex(7),
  })
  .strict();

export const directoryManifestSchema = z
  .object({
    format: z.literal(DIRECTORY_MANIFEST_FORMAT),
    ...common,
    /** A UnixFS directory holding every sealed file at its path. */
    content: cid,
    /** In the order the storage tree concatenates them. */
    files: z.array(directoryFileSchema).min(1).max(MAX_DIRECTORY_FILES),
    /** Sums over `files`. */
    plaintextSize: count,
    sealedSize: count,
  })
  .strict()
  .refine(thresholdHolds, thresholdMessage)
  .superRefine((m, context) => {
    try {
      checkModelPaths(m.files.map((f) => f.path));
    } catch (error) {
      context.addIssue({ code: z.ZodIssueCode.custom, path: ["files"], message: (error as Error).message });
    }
    const sum = (key: "plaintextSize" | "sealedSize") => m.files.reduce((total, f) => total + f[key], 0);
    if (sum("plaintextSize") !== m.plaintextSize) context.addIssue({ code: z.ZodIssueCode.custom, path: ["plaintextSize"], message: "is not the sum over files" });
    if (sum("sealedSize") !== m.sealedSize) context.addIssue({ code: z.ZodIssueCode.custom, path: ["sealedSize"], message: "is not the sum over files" });
  });

export const manifestSchema = z.union([fileManifestSchema, directoryManifestSchema]);

export type FileManifest = z.infer<typeof fileManifestSchema>;
export type DirectoryManifest = z.infer<typeof directoryManifestSchema>;
export type DirectoryFile = z.infer<typeof directoryFileSchema>;
export type Manifest = FileManifest | DirectoryManifest;

export const isDirectoryManifest = (manifest: Manifest): manifest is DirectoryManifest => manifest.format === DIRECTORY_MANIFEST_FORMAT;

/** Validates a manifest of either format; the message names the failing field. */
export function checkManifest(value: unknown): { ok: true; manifest: Manifest } | { ok: false; message: string } {
  const format = (value as { format?: unknown } | null)?.format;
  const schema = format === DIRECTORY_MANIFEST_FORMAT ? directoryManifestSchema : fileManifestSchema;
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, manifest: result.data };
  const issue = result.error.issues[0]!;
  return { ok: false, message: `manifest ${issue.path.join(".") || "(root)"}: ${issue.message}` };
}

/**
 * A manifest from its JSON form (the node's API answers: CIDs as strings), checked like
 * checkManifest: what a client re-encodes and hashes itself before its owner signs.
 */
export function manifestFromJson(value: unknown): { ok: true; manifest: Manifest } | { ok: false; message: string } {
  if (typeof value !== "object" || value === null) return { ok: false, message: "manifest (root): not an object" };
  const parse = (text: unknown) => {
    try {
      return typeof text === "string" ? CID.parse(text) : text;
    } catch {
      return text; // the schema names it
    }
  };
  const json = value as { content?: unknown; files?: unknown };
  return checkManifest({
    ...json,
    content: parse(json.content),
    ...(Array.isArray(json.files) ? { files: json.files.map((f: unknown) => (typeof f === "object" && f !== null ? { ...f, cid: parse((f as { cid?: unknown }).cid) } : f)) } : {}),
  });
}
