import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { coveringSegments, DEFAULT_SEGMENT_SIZE, frameRange, HEADER_LENGTH, InvalidArgumentError, SealedReader, seal, sealedLayout, sealedLength, SegmentAuthenticationError, TAG_LENGTH } from "../../crypto/index.js";
import { encodeSafetensorsHeader } from "../../zkp/safetensors.js";
import { assertBytes, collect } from "../helpers/bytes.js";

const key = randomBytes(32);
const modelId = randomBytes(32);
const S = 64;
const F = S + TAG_LENGTH;
const plaintext = randomBytes(40 * S + 9);

describe("sealed stream: parallel ranged reads", () => {
  let sealed: Buffer;
  let reads: Array<[number, number]>;
  let inFlight = 0;
  let maxInFlight = 0;
  /** A read that answers after a random delay, so spans complete out of order. */
  const slowRead = async (start: number, end: number) => {
    reads.push([start, end]);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
    inFlight--;
    return sealed.subarray(start, end);
  };
  const reader = async (options: { concurrency?: number; maxReadBytes?: number; minReadBytes?: number } = {}) =>
    SealedReader.create({ key, modelId, header: sealed.subarray(0, HEADER_LENGTH), sealedLength: sealed.length, read: slowRead, ...options });

  before(async () => {
    sealed = Buffer.from(await collect(seal([plaintext], { key, modelId, segmentSize: S })));
  });
  beforeEach(() => {
    reads = [];
    maxInFlight = 0;
  });

  it("property: a parallel range equals the sequential one (concurrency 1), reads stay within the window", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(plaintext.length), fc.nat(plaintext.length), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 5 }), async (a, b, concurrency, frames) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        maxInFlight = 0;
        const sequential = await collect((await reader({ concurrency: 1, maxReadBytes: F })).range(start, end));
        assert.ok(maxInFlight <= 1);
        maxInFlight = 0;
        reads = [];
        const parallel = await collect((await reader({ concurrency, maxReadBytes: frames * F, minReadBytes: 1 })).range(start, end));
        assertBytes(parallel, sequential);
        assertBytes(parallel, plaintext.subarray(start, end));
        assert.ok(maxInFlight <= concurrency, `${maxInFlight} reads in flight, concurrency ${concurrency}`);
        assert.ok(reads.every(([s, e]) => e - s <= frames * F), "a read above maxReadBytes");
      }),
      { numRuns: 40 },
    );
  });

  it("a 12-frame range goes out as `concurrency` reads at once, each span a run of whole frames", async () => {
    const got = await collect((await reader({ concurrency: 4, minReadBytes: 1 })).range(5 * S, 17 * S));
    assertBytes(got, plaintext.subarray(5 * S, 17 * S));
    assert.equal(maxInFlight, 4);
    assert.deepEqual(reads.sort((x, y) => x[0] - y[0]), [0, 1, 2, 3].map((i) => [HEADER_LENGTH + (5 + 3 * i) * F, HEADER_LENGTH + (8 + 3 * i) * F]));
  });

  it("small frames are not worth a request each: spans stay at least minReadBytes (1 MiB by default)", async () => {
    assertBytes(await collect((await reader({ concurrency: 4 })).range(5 * S, 17 * S)), plaintext.subarray(5 * S, 17 * S));
    assert.deepEqual(reads, [[HEADER_LENGTH + 5 * F, HEADER_LENGTH + 17 * F]]);
    reads = [];
    await collect((await reader({ concurrency: 4, minReadBytes: 5 * F })).range(5 * S, 17 * S));
    assert.deepEqual(reads.sort((x, y) => x[0] - y[0]).map(([s, e]) => (e - s) / F), [5, 5, 2]);
  });

  it("ranges() reads a segment shared by neighbouring ranges once and tags each piece with its range", async () => {
    const ranges = [{ start: 3, end: 10 }, { start: 10, end: 10 }, { start: 20, end: 2 * S + 1 }, { start: 5 * S, end: 5 * S + 2 }];
    const parts: Uint8Array[][] = ranges.map(() => []);
    for await (const { range, bytes } of (await reader()).ranges(ranges)) parts[range]!.push(bytes);
    ranges.forEach((r, i) => assertBytes(Buffer.concat(parts[i]!), plaintext.subarray(r.start, r.end), `range ${i}`));
    const frames = reads.flatMap(([s, e]) => Array.from({ length: Math.ceil((e - s) / F) }, (_, k) => (s - HEADER_LENGTH) / F + k)).sort((x, y) => x - y);
    assert.deepEqual(frames, [0, 1, 2, 5]);
    await assert.rejects((await reader()).ranges([{ start: 10, end: 20 }, { start: 15, end: 30 }]).next(), InvalidArgumentError);
  });

  it("open() reads the header and frame 0 in one request; frames in that prefix are not read again", async () => {
    const r = await SealedReader.open({ key, modelId, sealedLength: sealed.length, read: slowRead, segmentSize: S });
    assert.deepEqual(reads, [[0, HEADER_LENGTH + F]]);
    assertBytes(await r.bytes(0, S + 4), plaintext.subarray(0, S + 4));
    assert.deepEqual(reads.slice(1), [[HEADER_LENGTH + F, HEADER_LENGTH + 2 * F]]);
    const whole = await SealedReader.open({ key, modelId, sealedLength: sealed.length, read: slowRead, segmentSize: 10_000 });
    assertBytes(await whole.bytes(0, plaintext.length), plaintext);
    assert.equal(reads.length, 3, "a prefix clamped to the stream holds every frame");
  });

  it("a tampered frame fails the read with its index, and no read is left running unhandled", async () => {
    const bad = Buffer.from(sealed);
    bad[HEADER_LENGTH + 7 * F + 3]! ^= 1;
    const signals: AbortSignal[] = [];
    const r = await SealedReader.create({
      key, modelId, header: bad.subarray(0, HEADER_LENGTH), sealedLength: bad.length, concurrency: 3, maxReadBytes: F,
      read: async (s, e, signal) => {
        signals.push(signal!);
        await new Promise((resolve) => setTimeout(resolve, s === HEADER_LENGTH + 7 * F ? 1 : 5));
        return bad.subarray(s, e);
      },
    });
    await assert.rejects(collect(r.range(6 * S, 12 * S)), (e: unknown) => e instanceof SegmentAuthenticationError && e.segment === 7);
    assert.ok(signals.every((s) => s.aborted), "reads still running were told to stop");
  });

  it("docs/TENSORS.md worked example: plaintext ranges -> segments -> sealed bytes", () => {
    const { header, dataLength } = encodeSafetensorsHeader([{ name: "a", dtype: "F32", shape: [300, 1000] }, { name: "b", dtype: "BF16", shape: [1024] }], { format: "pt" });
    assert.equal(header.length, 176);
    const L = header.length + dataLength;
    assert.equal(L, 1_202_224);
    const layout = sealedLayout(DEFAULT_SEGMENT_SIZE, sealedLength(L));
    assert.equal(layout.sealedLength, 1_202_368);
    const sealedOf = (a: number, b: number) => {
      const { first, last } = coveringSegments(DEFAULT_SEGMENT_SIZE, a, b)!;
      return [first, last, frameRange(layout, first).start, frameRange(layout, last).end];
    };
    assert.deepEqual(sealedOf(0, 176), [0, 0, 112, 1_048_688]);
    assert.deepEqual(sealedOf(176, 1_200_176), [0, 1, 112, 1_202_368]);
    assert.deepEqual(sealedOf(1_200_176, 1_202_224), [1, 1, 1_048_688, 1_202_368]);
  });
});
