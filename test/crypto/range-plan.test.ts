/**
 * crypto/sealed/range-plan.ts on its own (pure arithmetic, a plain "cipher" that strips 16 tag
 * bytes), and the proof that it is one implementation: the node's SealedReader (node:crypto) and
 * the SDK's SealedRangeReader (WebCrypto) send exactly the same reads for the same ranges.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { HEADER_LENGTH, SealedReader, seal, sealedLayout, TAG_LENGTH } from "../../crypto/index.js";
import { inOrder, planSpans, readBytes, readLimits, readRanges, type RangeReadErrors, type SpanSource } from "../../crypto/sealed/range-plan.js";
import { SealedRangeReader, isSdkError } from "../../sdk/index.js";
import { assertBytes, collect, patternBytes } from "../helpers/bytes.js";

const S = 10;
const F = S + TAG_LENGTH;

class PlanError extends Error {
  constructor(readonly kind: string, message: string) {
    super(message);
  }
}
const errors: RangeReadErrors = {
  invalidArgument: (message) => new PlanError("invalid", message),
  truncated: (message) => new PlanError("truncated", message),
};
const isPlanError = (kind: string, pattern: RegExp) => (e: unknown) => e instanceof PlanError && e.kind === kind && pattern.test(e.message);

/** A stream of `plaintext` in frames of S bytes + 16 zero "tag" bytes, behind a 112-byte header. */
function plainStream(plaintext: Uint8Array) {
  const count = Math.max(1, Math.ceil(plaintext.length / S));
  const stream = new Uint8Array(HEADER_LENGTH + plaintext.length + count * TAG_LENGTH);
  for (let i = 0; i < count; i++) stream.set(plaintext.subarray(i * S, (i + 1) * S), HEADER_LENGTH + i * F);
  return stream;
}

function plainSource(plaintext: Uint8Array, options: { prefix?: number; short?: boolean } = {}) {
  const stream = plainStream(plaintext);
  const reads: Array<[number, number]> = [];
  const opened: number[] = [];
  const source: SpanSource = {
    layout: sealedLayout(S, stream.length),
    prefix: stream.subarray(0, options.prefix ?? 0),
    defaults: { minReadBytes: 1 },
    errors,
    read: async (start, end) => {
      reads.push([start, end]);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
      return stream.subarray(start, options.short === true ? end - 1 : end);
    },
    openFrames: (first, frames) =>
      frames.map((frame, i) => {
        opened.push(first + i);
        return frame.subarray(0, frame.length - TAG_LENGTH);
      }),
  };
  return { source, reads, opened };
}

describe("sealed ranged reads: the plan (crypto/sealed/range-plan.ts)", () => {
  const layout = sealedLayout(S, HEADER_LENGTH + 100 * S + 100 * TAG_LENGTH);
  const limits = (concurrency: number, minReadBytes: number, maxReadBytes: number) => ({ concurrency, minReadBytes, maxReadBytes });

  it("cuts runs of consecutive segments into about `concurrency` spans of whole frames, within min/max bytes", () => {
    const run = Array.from({ length: 12 }, (_, i) => 5 + i);
    assert.deepEqual(planSpans(layout, run, limits(4, 1, 1 << 20), 0, errors).map((p) => [p.first, p.count]), [[5, 3], [8, 3], [11, 3], [14, 3]]);
    // At least 5 frames a span, at most 2: the maximum wins.
    assert.deepEqual(planSpans(layout, run, limits(4, 5 * F, 2 * F), 0, errors).map((p) => p.count), [2, 2, 2, 2, 2, 2]);
    // Not cut below minReadBytes: one span where 4 would do.
    assert.deepEqual(planSpans(layout, run, limits(4, 12 * F, 1 << 20), 0, errors).map((p) => [p.first, p.count]), [[5, 12]]);
    // A gap ends a span; each span's ciphertext range is its frames'.
    const spans = planSpans(layout, [1, 2, 7, 8, 9], limits(8, 1 << 20, 1 << 20), 0, errors);
    assert.deepEqual(spans, [
      { first: 1, count: 2, cached: false, start: HEADER_LENGTH + F, end: HEADER_LENGTH + 3 * F },
      { first: 7, count: 3, cached: false, start: HEADER_LENGTH + 7 * F, end: HEADER_LENGTH + 10 * F },
    ]);
  });

  it("frames wholly in the prefix form spans of their own, marked cached", () => {
    const spans = planSpans(layout, [0, 1, 2, 3], limits(1, 1 << 20, 1 << 20), HEADER_LENGTH + 2 * F, errors);
    assert.deepEqual(spans.map((p) => [p.first, p.count, p.cached]), [[0, 1, true], [1, 1, true], [2, 2, false]]);
  });

  it("throws the caller's errors for bad indices and limits", () => {
    assert.throws(() => planSpans(layout, [3, 3], limits(1, 1, 1), 0, errors), isPlanError("invalid", /ascending/));
    assert.throws(() => planSpans(layout, [100], limits(1, 1, 1), 0, errors), isPlanError("invalid", /segment 100 out of range \[0, 100\)/));
    assert.throws(() => planSpans(layout, [1.5], limits(1, 1, 1), 0, errors), isPlanError("invalid", /segment 1\.5/));
    assert.throws(() => readLimits({ concurrency: 0 }, {}, errors), isPlanError("invalid", /concurrency must be a positive integer/));
    assert.throws(() => readLimits({}, { minReadBytes: -1 }, errors), isPlanError("invalid", /minReadBytes/));
    assert.deepEqual(readLimits({ concurrency: 2 }, { concurrency: 3, maxReadBytes: 9 }, errors), { concurrency: 2, maxReadBytes: 9, minReadBytes: 4 << 20, signal: undefined });
  });
});

describe("sealed ranged reads: in order, bounded, cancelled on failure (inOrder)", () => {
  it("yields in plan order whatever the completion order, with at most `concurrency` running", async () => {
    let running = 0;
    let most = 0;
    const got: number[] = [];
    for await (const { plan, result } of inOrder([0, 1, 2, 3, 4, 5, 6], 3, undefined, async (n) => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, (7 - n) * 2)); // later plans finish first
      running--;
      return n * 10;
    })) {
      assert.equal(result, plan * 10);
      got.push(plan);
    }
    assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(most, 3);
  });

  it("a failure is thrown in its turn and the reads still running are aborted", async () => {
    const aborted: number[] = [];
    const got: number[] = [];
    const run = (n: number, signal: AbortSignal) =>
      new Promise<number>((resolve, reject) => {
        if (n === 1) return void setTimeout(() => reject(new Error("read 1 failed")), 5);
        if (n === 0) return void setTimeout(() => resolve(n), 1);
        signal.addEventListener("abort", () => {
          aborted.push(n);
          reject(signal.reason as Error);
        });
      });
    await assert.rejects(
      (async () => {
        for await (const { plan } of inOrder([0, 1, 2, 3, 4], 4, undefined, run)) got.push(plan);
      })(),
      /read 1 failed/,
    );
    assert.deepEqual(got, [0]);
    assert.deepEqual(aborted.sort(), [2, 3, 4]); // 4 was launched once 0 was taken
  });

  it("the outer signal cancels the reads, and a consumer that stops early cancels the rest", async () => {
    const outer = new AbortController();
    const seen: AbortSignal[] = [];
    const pending = (n: number, signal: AbortSignal) => {
      seen.push(signal);
      return n === 0 ? Promise.resolve(0) : new Promise<number>((_, reject) => signal.addEventListener("abort", () => reject(new Error("cancelled"))));
    };
    const reads = inOrder([0, 1, 2], 3, outer.signal, pending);
    assert.equal((await reads.next()).value?.plan, 0);
    outer.abort(new Error("stop"));
    await assert.rejects(reads.next(), /cancelled/);
    assert.ok(seen.every((s) => s.aborted));

    const early: AbortSignal[] = [];
    const record = async (n: number, signal: AbortSignal) => {
      early.push(signal);
      return n;
    };
    for await (const { plan } of inOrder([0, 1, 2], 2, undefined, record)) if (plan === 0) break;
    assert.ok(early.length > 0 && early.every((s) => s.aborted));
  });
});

describe("sealed ranged reads: ranges cut out of segments (readRanges, readBytes)", () => {
  const plaintext = patternBytes(20 * S + 3);

  it("yields each range's bytes tagged with its index, a shared segment read and opened once", async () => {
    const { source, opened } = plainSource(plaintext);
    const ranges = [{ start: 3, end: 12 }, { start: 12, end: 12 }, { start: 15, end: 19 }, { start: 20 * S, end: 20 * S + 3 }];
    const parts: Uint8Array[][] = ranges.map(() => []);
    for await (const { range, bytes } of readRanges(source, ranges)) parts[range]!.push(bytes);
    ranges.forEach((r, i) => assertBytes(Buffer.concat(parts[i]!), plaintext.subarray(r.start, r.end), `range ${i}`));
    assert.deepEqual(opened.sort((a, b) => a - b), [0, 1, 20]); // spans are opened as they arrive
    await assert.rejects(readRanges(source, [{ start: 5, end: 9 }, { start: 8, end: 10 }]).next(), isPlanError("invalid", /sorted/));
    await assert.rejects(readRanges(source, [{ start: 0, end: plaintext.length + 1 }]).next(), isPlanError("invalid", /outside the plaintext/));
  });

  it("takes frames in the prefix from it, reads the rest, and a short read is the caller's truncation error", async () => {
    const { source, reads } = plainSource(plaintext, { prefix: HEADER_LENGTH + 2 * F });
    assertBytes(await readBytes(source, 5, 4 * S, { concurrency: 1 }), plaintext.subarray(5, 4 * S));
    assert.deepEqual(reads, [[HEADER_LENGTH + 2 * F, HEADER_LENGTH + 4 * F]]);
    await assert.rejects(readBytes(plainSource(plaintext, { short: true }).source, 0, 5), isPlanError("truncated", /segments 0\.\.0: short read/));
  });
});

describe("sealed ranged reads: the node's and the SDK's readers plan alike", () => {
  it("SealedReader and SealedRangeReader send the same reads and return the same bytes", async () => {
    const key = randomBytes(32);
    const modelId = randomBytes(32);
    const plaintext = randomBytes(30 * S + 7);
    const sealed = await collect(seal([plaintext], { key, modelId, segmentSize: S }));
    const recorder = () => {
      const reads: string[] = [];
      const read = async (start: number, end: number) => {
        reads.push(`${start}-${end}`);
        return sealed.subarray(start, end);
      };
      return { reads, read };
    };
    const options = { key, modelId, sealedLength: sealed.length, segmentSize: S, concurrency: 3, minReadBytes: 2 * F, maxReadBytes: 5 * F };
    const node = recorder();
    const sdk = recorder();
    const nodeReader = await SealedReader.open({ ...options, read: node.read });
    const sdkReader = await SealedRangeReader.open({ ...options, read: sdk.read });
    const ranges = [{ start: 4, end: 9 }, { start: 3 * S, end: 17 * S + 2 }, { start: 29 * S, end: 30 * S + 7 }];
    for (const reader of [nodeReader, sdkReader]) {
      const parts: Uint8Array[][] = ranges.map(() => []);
      for await (const { range, bytes } of reader.ranges(ranges)) parts[range]!.push(bytes);
      ranges.forEach((r, i) => assertBytes(Buffer.concat(parts[i]!), plaintext.subarray(r.start, r.end)));
    }
    assert.deepEqual(sdk.reads, node.reads);
    assert.ok(node.reads.length > 3);
    await assert.rejects(sdkReader.segments([2, 1]).next(), (e: unknown) => isSdkError(e, "INVALID_ARGUMENT"));
    await assert.rejects(sdkReader.bytes(0, 5, { concurrency: 0 }), (e: unknown) => isSdkError(e, "INVALID_ARGUMENT"));
  });
});
