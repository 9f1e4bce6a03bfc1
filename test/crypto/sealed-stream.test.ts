import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import {
  DEFAULT_FRAME_LENGTH,
  DEFAULT_SEGMENT_SIZE,
  HEADER_LENGTH,
  InvalidArgumentError,
  ModelMismatchError,
  open,
  seal,
  SealedReader,
  sealedLayout,
  sealedLength,
  SegmentAuthenticationError,
  TAG_LENGTH,
  TruncatedStreamError,
} from "../../crypto/index.js";
import { assertBytes, chunked, collect } from "../helpers/bytes.js";

const key = randomBytes(32);
const modelId = randomBytes(32);

describe("sealed stream: round trip", () => {
  const S = 64;
  for (const length of [0, 1, S - 1, S, S + 1, 10 * S, 10 * S + 7]) {
    it(`${length} bytes, segment ${S}: opens to the same bytes, of the predicted length`, async () => {
      const plaintext = randomBytes(length);
      const sealed = await collect(seal(chunked(plaintext, [13, 64, 200]), { key, modelId, segmentSize: S }));
      assert.equal(sealed.length, sealedLength(length, S));
      assertBytes(await collect(open(chunked(sealed, [5, 77, 1000]), { key, modelId })), plaintext);
    });
  }

  it("default frames are exactly 1 MiB, header first as its own chunk", async () => {
    assert.equal(DEFAULT_SEGMENT_SIZE + TAG_LENGTH, DEFAULT_FRAME_LENGTH);
    const plaintext = randomBytes(2 * DEFAULT_SEGMENT_SIZE + 5);
    const chunks: Uint8Array[] = [];
    for await (const c of seal(chunked(plaintext, [65536]), { key, modelId })) chunks.push(c);
    assert.equal(chunks[0]!.length, HEADER_LENGTH);
    const sealed = Buffer.concat(chunks);
    const layout = sealedLayout(DEFAULT_SEGMENT_SIZE, sealed.length);
    assert.equal(layout.segmentCount, 3);
    assert.equal(sealed.length, HEADER_LENGTH + 2 * DEFAULT_FRAME_LENGTH + 5 + TAG_LENGTH);
    assertBytes(await collect(open(chunked(sealed, [1 << 20]), { key })), plaintext);
  });

  it("property: any size, segment size and chunking round-trips", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 600 }),
        fc.integer({ min: 1, max: 96 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 4 }),
        async (plaintext, segmentSize, cuts) => {
          const sealed = await collect(seal(chunked(plaintext, cuts), { key, modelId, segmentSize }));
          const back = await collect(open(chunked(sealed, cuts.toReversed()), { key, modelId }));
          assertBytes(back, plaintext);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("two seals of the same plaintext differ (fresh nonce prefix)", async () => {
    const p = randomBytes(100);
    const a = await collect(seal([p], { key, modelId, segmentSize: 32 }));
    const b = await collect(seal([p], { key, modelId, segmentSize: 32 }));
    assert.notDeepEqual(a, b);
  });

  it("pulls from the source only as the consumer reads (backpressure)", async () => {
    let produced = 0;
    async function* source() {
      for (let i = 0; i < 1000; i++) {
        produced++;
        yield new Uint8Array(1024);
      }
    }
    const sealer = seal(source(), { key, modelId, segmentSize: 4096 });
    await sealer.next(); // header
    await sealer.next(); // first frame
    assert.ok(produced <= 6, `read ${produced} chunks for one 4 KiB segment`);
    await sealer.return();
  });

  it("rejects bad arguments with InvalidArgumentError", async () => {
    const bad = [
      { key: randomBytes(31), modelId },
      { key, modelId: randomBytes(16) },
      { key, modelId, segmentSize: 0 },
      { key, modelId, segmentSize: 2 ** 24 + 1 },
      { key, modelId, noncePrefix: randomBytes(8) },
    ];
    for (const options of bad) await assert.rejects(collect(seal([randomBytes(10)], options)), InvalidArgumentError);
    await assert.rejects(collect(seal(["text" as unknown as Uint8Array], { key, modelId })), InvalidArgumentError);
    await assert.rejects(collect(open(["text" as unknown as Uint8Array], { key })), InvalidArgumentError);
    // An empty input is not a bad argument but a truncated stream (docs/FORMAT.md; sealed-corners.test.ts).
  });

  it("refuses an authentic stream of another model when the expected model is given", async () => {
    const sealed = await collect(seal([randomBytes(10)], { key, modelId }));
    await assert.rejects(collect(open([sealed], { key, modelId: randomBytes(32) })), ModelMismatchError);
  });
});

describe("sealed stream: random access", () => {
  const S = 50;
  const plaintext = randomBytes(12 * S + 17);
  let sealed: Buffer;
  let reads: Array<[number, number]>;
  const reader = async () =>
    SealedReader.create({
      key,
      modelId,
      header: sealed.subarray(0, HEADER_LENGTH),
      sealedLength: sealed.length,
      read: async (start, end) => {
        reads.push([start, end]);
        return sealed.subarray(start, end);
      },
    });

  before(async () => {
    sealed = Buffer.from(await collect(seal([plaintext], { key, modelId, segmentSize: S })));
  });
  beforeEach(() => (reads = []));

  it("decrypts segment i from its frame alone", async () => {
    const r = await reader();
    assert.equal(r.plaintextLength, plaintext.length);
    assertBytes(await r.segment(3), plaintext.subarray(3 * S, 4 * S));
    assert.deepEqual(reads, [[HEADER_LENGTH + 3 * (S + 16), HEADER_LENGTH + 4 * (S + 16)]]);
    assertBytes(await r.segment(12), plaintext.subarray(12 * S));
  });

  it("property: any plaintext range reads only the frames that overlap it", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(plaintext.length), fc.nat(plaintext.length), async (a, b) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        reads = [];
        const got = await collect((await reader()).range(start, end));
        assertBytes(got, plaintext.subarray(start, end));
        const frames = start === end ? 0 : Math.floor((end - 1) / S) - Math.floor(start / S) + 1;
        // Consecutive frames may come in fewer, larger reads: together exactly the overlapping frames.
        const first = HEADER_LENGTH + Math.floor(start / S) * (S + 16);
        const read = reads.sort((x, y) => x[0] - y[0]).reduce((n, [s, e]) => n + e - s, 0);
        assert.equal(read, frames === 0 ? 0 : Math.min(first + frames * (S + 16), sealed.length) - first);
        if (frames > 0) assert.equal(reads[0]![0], first);
        assert.ok(reads.length <= frames);
      }),
      { numRuns: 200 },
    );
  });

  it("fails on a tampered frame and on a lying total length", async () => {
    const bad = Buffer.from(sealed);
    bad[HEADER_LENGTH + 2 * (S + 16) + 5]! ^= 0x80;
    const r = await SealedReader.create({ key, header: bad.subarray(0, HEADER_LENGTH), sealedLength: bad.length, read: async (s, e) => bad.subarray(s, e) });
    await assert.rejects(r.segment(2), (e: unknown) => e instanceof SegmentAuthenticationError && e.segment === 2);
    assertBytes(await r.segment(1), plaintext.subarray(S, 2 * S));
    // Claiming the stream ends one frame early makes segment 11 the last one: it is authentic but
    // not final, so it must not open, and the stream as claimed is truncated (docs/FORMAT.md).
    const shorter = await SealedReader.create({ key, header: sealed.subarray(0, HEADER_LENGTH), sealedLength: sealed.length - 33, read: async (s, e) => sealed.subarray(s, e) });
    await assert.rejects(shorter.segment(11), TruncatedStreamError);
  });

  it("rejects ranges outside the plaintext", async () => {
    const r = await reader();
    await assert.rejects(collect(r.range(-1, 4)), InvalidArgumentError);
    await assert.rejects(collect(r.range(5, plaintext.length + 1)), InvalidArgumentError);
    await assert.rejects(collect(r.range(9, 8)), InvalidArgumentError);
  });
});
