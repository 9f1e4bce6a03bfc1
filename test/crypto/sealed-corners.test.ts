/**
 * The sealed format's corner cases (docs/FORMAT.md, "Reading a stream") through every reader: the
 * node's streaming open and its SealedReader (node:crypto), the SDK's openSealed and its
 * SealedRangeReader (WebCrypto), and a reader written here from FORMAT.md's algorithm alone. Each
 * committed corner (test/crypto/vectors/sealed-v1-corners.json) must get its code from all of them;
 * random frame sequences, cuts, extensions and flipped bits must get the same code from all of them.
 */
import assert from "node:assert/strict";
import { createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { createHeader, ModelvaultCryptoError, open, SealedReader, seal, sealedLayout, sealedLength, sealSegment, TAG_LENGTH } from "../../crypto/index.js";
import { openSealed, SdkError, SealedRangeReader } from "../../sdk/index.js";
import { chunked, collect, hex, unhex } from "../helpers/bytes.js";

interface Outcome {
  code: string;
  segment?: number;
  released: string;
}
interface Corner {
  name: string;
  input: string;
  key?: string;
  modelId?: string;
  code: string;
  segment?: number;
  released: string;
}
const vectors = JSON.parse(readFileSync(new URL("./vectors/sealed-v1-corners.json", import.meta.url), "utf8")) as { segmentSize: number; key: string; corners: Corner[] };

interface ReadInput {
  input: Uint8Array;
  key: Uint8Array;
  modelId?: Uint8Array;
}

/** Runs a reader to its end: "OK" or the error's code (the SDK's WRONG_KEY under the node's name). */
async function outcome(run: (release: (bytes: Uint8Array) => void) => Promise<void>): Promise<Outcome> {
  const released: Uint8Array[] = [];
  try {
    await run((bytes) => released.push(bytes));
    return { code: "OK", released: hex(Buffer.concat(released)) };
  } catch (error) {
    const done = { released: hex(Buffer.concat(released)) };
    if (error instanceof ModelvaultCryptoError) return { code: error.code, ...segmentOf((error as { segment?: number }).segment), ...done };
    if (error instanceof SdkError) return { code: error.code === "WRONG_KEY" ? "SEALED_WRONG_KEY" : error.code, ...segmentOf(error.details.segment), ...done };
    throw error;
  }
}
const segmentOf = (segment: number | undefined) => (segment === undefined ? {} : { segment });
const modelOf = (c: ReadInput) => (c.modelId === undefined ? {} : { modelId: c.modelId });
const readOf = (input: Uint8Array) => async (start: number, end: number) => input.subarray(start, end);
const indices = (count: number) => Array.from({ length: count }, (_, i) => i);

/** The four readers under test, each with a few ways of feeding it. */
const readers: Record<string, (c: ReadInput, variant: number) => Promise<Outcome>> = {
  "node open": (c, v) =>
    outcome(async (release) => {
      for await (const part of open(chunked(c.input, [[c.input.length || 1], [1], [48], [49, 7]][v % 4]!), { key: c.key, ...modelOf(c) })) release(part);
    }),
  "sdk openSealed": (c, v) =>
    outcome(async (release) => {
      for await (const part of openSealed(chunked(c.input, [[c.input.length || 1], [1], [48], [49, 7]][v % 4]!), { key: c.key, ...modelOf(c) })) release(part);
    }),
  "node SealedReader": (c, v) =>
    outcome(async (release) => {
      const options = [{}, { segmentSize: 32 }, { concurrency: 1, maxReadBytes: 1 }, { concurrency: 3, minReadBytes: 1, maxReadBytes: 100 }][v % 4]!;
      const reader = await SealedReader.open({ key: c.key, ...modelOf(c), sealedLength: c.input.length, read: readOf(c.input), ...options });
      for await (const { plaintext } of reader.segments(indices(reader.layout.segmentCount))) release(plaintext);
    }),
  "sdk SealedRangeReader": (c, v) =>
    outcome(async (release) => {
      const options = [{}, { segmentSize: 32 }, { concurrency: 1, maxReadBytes: 1 }, { concurrency: 3, minReadBytes: 1, maxReadBytes: 100 }][v % 4]!;
      const reader = await SealedRangeReader.open({ key: c.key, ...modelOf(c), sealedLength: c.input.length, read: readOf(c.input), ...options });
      for await (const { plaintext } of reader.segments(indices(reader.segmentCount))) release(plaintext);
    }),
  "reader from FORMAT.md": async (c) => readFromSpec(Buffer.from(c.input), Buffer.from(c.key), c.modelId === undefined ? undefined : Buffer.from(c.modelId)),
};
const STREAMING = new Set(["node open", "sdk openSealed", "reader from FORMAT.md"]);

/** docs/FORMAT.md's streaming reader, step by step, with node:crypto only (not crypto/'s code). */
function readFromSpec(input: Buffer, key: Buffer, expectedModel?: Buffer): Outcome {
  const released: Buffer[] = [];
  const stop = (code: string, segment?: number): Outcome => ({ code, ...segmentOf(segment), released: hex(Buffer.concat(released)) });
  if (input.length < 112) return stop("SEALED_TRUNCATED");
  const header = input.subarray(0, 112);
  const S = header.readUInt32BE(5);
  if (header.toString("latin1", 0, 4) !== "MVSM" || header[4] !== 1 || S < 1 || S > 2 ** 24) return stop("SEALED_MALFORMED_HEADER");
  const commitment = Buffer.from(hkdfSync("sha256", key, Buffer.alloc(0), "modelvault/v1/key-commitment", 32));
  if (!commitment.equals(header.subarray(48, 80))) return stop("SEALED_WRONG_KEY");
  const prefix = header.subarray(41, 48);
  const okm = Buffer.from(hkdfSync("sha256", key, header.subarray(9, 41), Buffer.concat([Buffer.from("modelvault/v1/sealed-stream"), prefix]), 64));
  if (!createHmac("sha256", okm.subarray(32)).update(header.subarray(0, 80)).digest().equals(header.subarray(80))) return stop("SEALED_HEADER_TAMPERED");
  if (expectedModel !== undefined && !expectedModel.equals(header.subarray(9, 41))) return stop("SEALED_MODEL_MISMATCH");
  const aad = createHash("sha256").update(header).digest();
  const tryOpen = (frame: Buffer, i: number, final: boolean): Buffer | null => {
    if (frame.length < 16) return null;
    const nonce = Buffer.concat([prefix, Buffer.alloc(5)]);
    nonce.writeUInt32BE(i, 7);
    nonce[11] = final ? 1 : 0;
    const d = createDecipheriv("aes-256-gcm", okm.subarray(0, 32), nonce).setAAD(aad).setAuthTag(frame.subarray(frame.length - 16));
    try {
      return Buffer.concat([d.update(frame.subarray(0, frame.length - 16)), d.final()]);
    } catch {
      return null;
    }
  };
  const F = S + 16;
  let rest = input.subarray(112);
  let i = 0;
  for (; rest.length > F; i++, rest = rest.subarray(F)) {
    const frame = rest.subarray(0, F);
    const plain = tryOpen(frame, i, false);
    if (plain === null) return tryOpen(frame, i, true) === null ? stop("SEALED_SEGMENT_AUTH", i) : stop("SEALED_TRAILING_DATA");
    released.push(plain);
  }
  if (rest.length < 16 || (rest.length === 16 && i > 0)) return stop("SEALED_TRUNCATED");
  const plain = tryOpen(rest, i, true);
  if (plain === null) return tryOpen(rest, i, false) === null ? stop("SEALED_SEGMENT_AUTH", i) : stop("SEALED_TRUNCATED");
  released.push(plain);
  return stop("OK");
}

/** Every reader's outcome for one input (each streaming reader fed whole and in small chunks). */
async function allOutcomes(c: ReadInput, variants = [0, 1, 2, 3]): Promise<Array<[string, Outcome]>> {
  const out: Array<[string, Outcome]> = [];
  for (const [name, read] of Object.entries(readers)) for (const v of variants) out.push([`${name} #${v}`, await read(c, v)]);
  return out;
}

describe("sealed stream: corner cases, the same code from every reader", function () {
  this.timeout(120_000);
  const corners = vectors.corners;

  it("the committed corner file covers each rule (codes, valid inputs, empty input)", () => {
    assert.ok(corners.length >= 30);
    const codes = new Set(corners.map((c) => c.code));
    for (const code of ["OK", "SEALED_TRUNCATED", "SEALED_TRAILING_DATA", "SEALED_SEGMENT_AUTH", "SEALED_WRONG_KEY", "SEALED_MALFORMED_HEADER", "SEALED_HEADER_TAMPERED", "SEALED_MODEL_MISMATCH"]) {
      assert.ok(codes.has(code), code);
    }
    assert.ok(corners.some((c) => c.input === ""));
  });

  for (const corner of corners) {
    it(`${corner.name}: ${corner.code}${corner.segment === undefined ? "" : ` (segment ${corner.segment})`} from every reader`, async () => {
      const input = unhex(corner.input);
      const c: ReadInput = { input, key: unhex(corner.key ?? vectors.key), ...(corner.modelId === undefined ? {} : { modelId: unhex(corner.modelId) }) };
      for (const [name, got] of await allOutcomes(c)) {
        assert.equal(got.code, corner.code, name);
        assert.equal(got.segment, corner.segment, `${name}: segment`);
        const reader = name.replace(/ #\d+$/, "");
        // Streaming readers release the same prefix; random access, a prefix of it (spans fail whole).
        if (STREAMING.has(reader) || corner.code === "OK") assert.equal(got.released, corner.released, `${name}: released`);
        else assert.ok(corner.released.startsWith(got.released), `${name}: released more than the authentic prefix`);
      }
    });
  }

  it("property: random frame sequences (any lengths, any final flags), cut, extended or flipped, get one code from all readers", async () => {
    const key = randomBytes(32);
    const modelId = randomBytes(32);
    const segment = (S: number) => fc.record({ length: fc.nat(S), final: fc.boolean() });
    const arb = fc
      .integer({ min: 1, max: 20 })
      .chain((S) =>
        fc.record({
          S: fc.constant(S),
          segments: fc.array(segment(S), { minLength: 1, maxLength: 5 }),
          mutation: fc.oneof(
            fc.constant({ kind: "none" as const }),
            fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
            fc.record({ kind: fc.constant("append" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
            fc.record({ kind: fc.constant("flip" as const), at: fc.nat() }),
          ),
        }),
      );
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(arb, async ({ S, segments, mutation }) => {
        const opened = await createHeader({ key, modelId, segmentSize: S });
        const frames = await Promise.all(segments.map((s, i) => sealSegment(opened, i, s.final, [randomBytes(s.length)])));
        let input: Uint8Array = Buffer.concat([opened.header.bytes, ...frames.flat()]);
        if (mutation.kind === "cut") input = input.subarray(0, mutation.at % input.length);
        if (mutation.kind === "append") input = Buffer.concat([input, mutation.bytes]);
        if (mutation.kind === "flip") {
          input = Uint8Array.from(input);
          input[112 + (mutation.at % (input.length - 112))]! ^= 1;
        }
        const results = await allOutcomes({ input, key }, [0, 3]);
        const spec = results.find(([name]) => name.startsWith("reader from FORMAT.md"))![1];
        seen.add(spec.code);
        for (const [name, got] of results) {
          assert.deepEqual([got.code, got.segment], [spec.code, spec.segment], name);
          if (STREAMING.has(name.replace(/ #\d+$/, "")) || spec.code === "OK") assert.equal(got.released, spec.released, `${name}: released`);
          else assert.ok(spec.released.startsWith(got.released), `${name}: released more than the authentic prefix`);
        }
      }),
      { numRuns: 1000 },
    );
    for (const code of ["OK", "SEALED_TRUNCATED", "SEALED_TRAILING_DATA", "SEALED_SEGMENT_AUTH"]) assert.ok(seen.has(code), `never saw ${code}`);
  });

  it("seal never ends a stream with an empty segment after full ones, so refusing one loses no published stream", async () => {
    // node/models' frame sealer writes seal()'s bytes exactly (test/node/publish-pipeline.test.ts).
    const key = randomBytes(32);
    const modelId = randomBytes(32);
    for (const S of [1, 7, 64]) {
      for (const length of [0, 1, S - 1, S, S + 1, 2 * S, 3 * S, 5 * S + 3]) {
        for (const sizes of [[length || 1], [1], [S], [S + 1, 2]]) {
          const sealed = await collect(seal(chunked(new Uint8Array(length), sizes), { key, modelId, segmentSize: S }));
          assert.equal(sealed.length, sealedLength(length, S));
          const layout = sealedLayout(S, sealed.length);
          assert.equal(layout.stubLength, 0);
          assert.equal(layout.plaintextLength, length);
          const lastFrame = sealed.length - 112 - (layout.segmentCount - 1) * (S + TAG_LENGTH);
          assert.ok(lastFrame > TAG_LENGTH || length === 0, `S ${S}, ${length} bytes: a ${lastFrame}-byte final frame`);
        }
      }
    }
  });

  it("a known length that leaves a stub after full frames: the early segments read, the last one fails as in a stream", async () => {
    const S = 32;
    const key = randomBytes(32);
    const modelId = randomBytes(32);
    const sealed = await collect(seal([randomBytes(3 * S + 10)], { key, modelId, segmentSize: S }));
    const cut = sealed.subarray(0, 112 + 3 * (S + TAG_LENGTH) + 16); // 16 bytes left of the final frame
    const layout = sealedLayout(S, cut.length);
    assert.deepEqual([layout.segmentCount, layout.stubLength, layout.plaintextLength], [3, 16, 3 * S]);
    const reader = await SealedReader.open({ key, sealedLength: cut.length, read: readOf(cut) });
    assert.equal((await reader.segment(1)).length, S);
    await assert.rejects(reader.segment(2), (e: unknown) => e instanceof ModelvaultCryptoError && e.code === "SEALED_TRUNCATED");
    const sdk = await SealedRangeReader.open({ key, sealedLength: cut.length, read: readOf(cut) });
    assert.equal(sdk.segmentCount, 3);
    await assert.rejects(sdk.bytes(0, sdk.plaintextLength), (e: unknown) => e instanceof SdkError && e.code === "SEALED_TRUNCATED");
  });
});
