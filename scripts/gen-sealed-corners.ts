/**
 * Writes test/crypto/vectors/sealed-v1-corners.json: inputs at the corners of the sealed format
 * (docs/FORMAT.md, "Reading a stream") with what every reader must report for each: the code, the
 * segment for SEALED_SEGMENT_AUTH, and the plaintext a streaming reader releases before it stops.
 * Some inputs are sealed segment by segment here, as no writer would (an empty final segment after
 * a full one, a short non-final segment): readers must refuse them. Deterministic; run when the
 * reading rules change: node --import tsx scripts/gen-sealed-corners.ts
 */
import { writeFile } from "node:fs/promises";
import { createHeader, segmentNonce } from "../crypto/index.js";
import { aesGcmSealSync, exportAesGcmKey } from "../crypto/platform/node.js";
import { hex, patternBytes } from "../test/helpers/bytes.js";

const S = 32;
const key = patternBytes(32, 11);
const otherKey = patternBytes(32, 12);
const modelId = patternBytes(32, 111);
const otherModelId = patternBytes(32, 112);
const opened = await createHeader({ key, modelId, segmentSize: S, noncePrefix: patternBytes(7, 211) });
const header = opened.header.bytes;
const plain = (i: number, length: number) => patternBytes(length, 31 + i);
/** Frame i of `length` plaintext bytes with the given final flag, as one array. */
const segmentKey = exportAesGcmKey(opened.segmentKey);
const frame = (i: number, length: number, final: boolean) =>
  Buffer.concat(aesGcmSealSync(segmentKey, segmentNonce(opened.header.noncePrefix, i, final), opened.aad, [plain(i, length)]));
const cat = (...parts: Uint8Array[]) => Buffer.concat(parts);
const flip = (bytes: Uint8Array, at: number) => {
  const out = Uint8Array.from(bytes);
  out[at]! ^= 0x01;
  return out;
};

const F = S + 16;
const full0 = frame(0, S, false);
const full1 = frame(1, S, false);
const twoSegments = cat(header, full0, frame(1, 10, true)); // 32 + 10 bytes, final one short
const threeFull = cat(header, full0, full1, frame(2, S, true));
const fullFinal = cat(header, frame(0, S, true));

type Expect = { code: string; segment?: number; released: Uint8Array };
interface Corner {
  name: string;
  input: Uint8Array;
  /** The key given to the reader (default: the stream's). */
  key?: Uint8Array;
  /** The model id the reader expects, when it names one. */
  modelId?: Uint8Array;
  expect: Expect;
}
const ok = (...segments: Uint8Array[]): Expect => ({ code: "OK", released: cat(...segments) });
const fail = (code: string, released: Uint8Array[] = [], segment?: number): Expect => ({ code, released: cat(...released), ...(segment === undefined ? {} : { segment }) });

const corners: Corner[] = [
  // Valid streams, the shapes a writer makes.
  { name: "valid: empty plaintext (one 16-byte final frame)", input: cat(header, frame(0, 0, true)), expect: ok() },
  { name: "valid: one full final frame", input: fullFinal, expect: ok(plain(0, S)) },
  { name: "valid: a full frame, then a short final one", input: twoSegments, expect: ok(plain(0, S), plain(1, 10)) },
  { name: "valid: three full frames, the last final", input: threeFull, expect: ok(plain(0, S), plain(1, S), plain(2, S)) },
  { name: "valid: a full frame, then a final one of one byte", input: cat(header, full0, frame(1, 1, true)), expect: ok(plain(0, S), plain(1, 1)) },
  // Too short for a header, or for a frame.
  { name: "empty input (0 bytes)", input: new Uint8Array(0), expect: fail("SEALED_TRUNCATED") },
  { name: "1 byte", input: header.subarray(0, 1), expect: fail("SEALED_TRUNCATED") },
  { name: "111 bytes: cut inside the header", input: header.subarray(0, 111), expect: fail("SEALED_TRUNCATED") },
  { name: "the header alone", input: header, expect: fail("SEALED_TRUNCATED") },
  { name: "the header and 15 bytes: less than a tag", input: cat(header, frame(0, 0, true).subarray(0, 15)), expect: fail("SEALED_TRUNCATED") },
  // The last frame authentic but not final: cut after it, whatever its length.
  { name: "a full non-final frame, then the end: cut at a segment boundary", input: cat(header, full0), expect: fail("SEALED_TRUNCATED") },
  { name: "two full non-final frames, then the end", input: cat(header, full0, full1), expect: fail("SEALED_TRUNCATED", [plain(0, S)]) },
  { name: "a short authentic non-final last frame, after a full one", input: cat(header, full0, frame(1, 10, false)), expect: fail("SEALED_TRUNCATED", [plain(0, S)]) },
  { name: "a short authentic non-final frame, alone", input: cat(header, frame(0, 10, false)), expect: fail("SEALED_TRUNCATED") },
  { name: "an empty authentic non-final frame, alone", input: cat(header, frame(0, 0, false)), expect: fail("SEALED_TRUNCATED") },
  // Fewer than 17 bytes after full frames: no final frame fits (one holds at least one byte).
  { name: "an empty final frame after a full one (never written: refused)", input: cat(header, full0, frame(1, 0, true)), expect: fail("SEALED_TRUNCATED", [plain(0, S)]) },
  { name: "an empty final frame after two full ones", input: cat(header, full0, full1, frame(2, 0, true)), expect: fail("SEALED_TRUNCATED", [plain(0, S), plain(1, S)]) },
  { name: "16 bytes left of a cut final frame", input: twoSegments.subarray(0, 112 + F + 16), expect: fail("SEALED_TRUNCATED", [plain(0, S)]) },
  { name: "5 bytes left of a cut final frame", input: twoSegments.subarray(0, 112 + F + 5), expect: fail("SEALED_TRUNCATED", [plain(0, S)]) },
  { name: "17 bytes left of a cut final frame: a frame, not authentic", input: twoSegments.subarray(0, 112 + F + 17), expect: fail("SEALED_SEGMENT_AUTH", [plain(0, S)], 1) },
  // Bytes after an authentic final frame: the final segment is held back, not released.
  { name: "a full final frame and 1 byte after it", input: cat(fullFinal, Uint8Array.of(0)), expect: fail("SEALED_TRAILING_DATA") },
  { name: "a full final frame and 16 bytes after it", input: cat(fullFinal, new Uint8Array(16)), expect: fail("SEALED_TRAILING_DATA") },
  { name: "a full final frame and 17 bytes after it", input: cat(fullFinal, new Uint8Array(17)), expect: fail("SEALED_TRAILING_DATA") },
  { name: "a full final frame and its copy", input: cat(fullFinal, frame(0, S, true)), expect: fail("SEALED_TRAILING_DATA") },
  { name: "three full frames and 1 byte: the first two released, the final held back", input: cat(threeFull, Uint8Array.of(7)), expect: fail("SEALED_TRAILING_DATA", [plain(0, S), plain(1, S)]) },
  { name: "a short final frame and 1 byte: the byte runs into it", input: cat(twoSegments, Uint8Array.of(7)), expect: fail("SEALED_SEGMENT_AUTH", [plain(0, S)], 1) },
  { name: "a short final frame and 40 bytes: a full frame that is not authentic", input: cat(twoSegments, new Uint8Array(40)), expect: fail("SEALED_SEGMENT_AUTH", [plain(0, S)], 1) },
  // Damage inside frames, and the header checks, in their order.
  { name: "a bit flipped in frame 1 of 3", input: flip(threeFull, 112 + F + 3), expect: fail("SEALED_SEGMENT_AUTH", [plain(0, S)], 1) },
  { name: "a bit flipped in the tag of the final frame", input: flip(threeFull, threeFull.length - 1), expect: fail("SEALED_SEGMENT_AUTH", [plain(0, S), plain(1, S)], 2) },
  { name: "frames 0 and 1 swapped", input: cat(header, full1, full0, frame(2, S, true)), expect: fail("SEALED_SEGMENT_AUTH", [], 0) },
  { name: "a short non-final frame inside the stream", input: cat(header, frame(0, 10, false), frame(1, 10, true)), expect: fail("SEALED_SEGMENT_AUTH", [], 0) },
  { name: "wrong key", input: twoSegments, key: otherKey, expect: fail("SEALED_WRONG_KEY") },
  { name: "bad magic", input: flip(twoSegments, 0), expect: fail("SEALED_MALFORMED_HEADER") },
  { name: "segment size 0", input: cat(header.subarray(0, 5), new Uint8Array(4), header.subarray(9), twoSegments.subarray(112)), expect: fail("SEALED_MALFORMED_HEADER") },
  { name: "a bit flipped in the nonce prefix", input: flip(twoSegments, 41), expect: fail("SEALED_HEADER_TAMPERED") },
  { name: "another model expected", input: twoSegments, modelId: otherModelId, expect: fail("SEALED_MODEL_MISMATCH") },
  { name: "the model expected", input: twoSegments, modelId, expect: ok(plain(0, S), plain(1, 10)) },
];

const file = new URL("../test/crypto/vectors/sealed-v1-corners.json", import.meta.url);
const out = {
  format: "modelvault sealed v1: reading corner cases (docs/FORMAT.md, Reading a stream)",
  segmentSize: S,
  key: hex(key),
  note: "input is what a reader is given whole; key is the reader's key when not the stream's; modelId is the model the reader expects, when it names one; released is the plaintext a streaming reader yields before it stops (a random-access reader reading every segment in order yields a prefix of it). The SDK reports SEALED_WRONG_KEY as WRONG_KEY.",
  corners: corners.map((c) => ({
    name: c.name,
    input: hex(c.input),
    ...(c.key === undefined ? {} : { key: hex(c.key) }),
    ...(c.modelId === undefined ? {} : { modelId: hex(c.modelId) }),
    code: c.expect.code,
    ...(c.expect.segment === undefined ? {} : { segment: c.expect.segment }),
    released: hex(c.expect.released),
  })),
};
await writeFile(file, JSON.stringify(out, null, 2) + "\n");
console.log(`wrote ${corners.length} corner cases to ${file.pathname}`);
