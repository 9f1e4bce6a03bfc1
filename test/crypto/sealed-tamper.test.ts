/**
 * 10,000+ random tamper cases across every kind of damage the format must catch. Each case
 * states the exact error class it expects, and checks that no plaintext of the failing
 * segment, or after it, was released.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  HEADER_LENGTH,
  HeaderTamperedError,
  MalformedHeaderError,
  MAX_SEGMENT_SIZE,
  ModelMismatchError,
  open,
  seal,
  SegmentAuthenticationError,
  TAG_LENGTH,
  TrailingDataError,
  TruncatedStreamError,
  WrongKeyError,
} from "../../crypto/index.js";
import { collect } from "../helpers/bytes.js";

type ErrorClass = new (...args: never[]) => Error;
interface Expected {
  error: ErrorClass;
  /** For SegmentAuthenticationError: the segment index reported. */
  segment?: number;
  /** Plaintext bytes that may be released before the failure (a prefix of the original). */
  released: number;
}

interface Stream {
  key: Uint8Array;
  modelId: Uint8Array;
  segmentSize: number;
  plaintext: Uint8Array;
  header: Uint8Array;
  frames: Uint8Array[];
}

async function sealStream(key: Uint8Array, modelId: Uint8Array, segmentSize: number, plaintext: Uint8Array): Promise<Stream> {
  const sealed = await collect(seal([plaintext], { key, modelId, segmentSize }));
  const frames: Uint8Array[] = [];
  for (let at = HEADER_LENGTH; at < sealed.length; at += segmentSize + TAG_LENGTH) {
    frames.push(sealed.subarray(at, Math.min(at + segmentSize + TAG_LENGTH, sealed.length)));
  }
  return { key, modelId, segmentSize, plaintext, header: sealed.subarray(0, HEADER_LENGTH), frames };
}

/** The other stream of a case; `sameKeyHeader` is another model's header under this key. */
interface Other extends Stream {
  sameKeyHeader?: Uint8Array;
}

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const streamArb = fc.record({
  key: bytes(32),
  otherKey: bytes(32),
  modelId: bytes(32),
  otherModelId: bytes(32),
  segmentSize: fc.integer({ min: 1, max: 40 }),
  plaintext: fc.uint8Array({ maxLength: 160 }),
});

type Tamper =
  | { kind: "wrong-key" }
  | { kind: "header-bit"; bit: number }
  | { kind: "body-bit"; at: number; bit: number }
  | { kind: "swap"; i: number; j: number }
  | { kind: "duplicate"; i: number }
  | { kind: "drop"; i: number }
  | { kind: "truncate"; cut: number }
  | { kind: "extend"; extra: Uint8Array }
  | { kind: "foreign-header"; sameKey: boolean; expectModel: boolean }
  | { kind: "foreign-segment"; i: number }
  | { kind: "expect-other-model" };

const tamperArb: fc.Arbitrary<Tamper> = fc.oneof(
  fc.constant({ kind: "wrong-key" as const }),
  fc.record({ kind: fc.constant("header-bit" as const), bit: fc.nat(HEADER_LENGTH * 8 - 1) }),
  fc.record({ kind: fc.constant("body-bit" as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant("swap" as const), i: fc.nat(), j: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), i: fc.nat() }),
  fc.record({ kind: fc.constant("drop" as const), i: fc.nat() }),
  fc.record({ kind: fc.constant("truncate" as const), cut: fc.nat() }),
  fc.record({ kind: fc.constant("extend" as const), extra: fc.uint8Array({ minLength: 1, maxLength: 60 }) }),
  fc.record({ kind: fc.constant("foreign-header" as const), sameKey: fc.boolean(), expectModel: fc.boolean() }),
  fc.record({ kind: fc.constant("foreign-segment" as const), i: fc.nat() }),
  fc.constant({ kind: "expect-other-model" as const }),
);

interface Case {
  input: Uint8Array[];
  key: Uint8Array;
  modelId?: Uint8Array;
  expected: Expected;
}

/** Applies one tamper and states, from the format's rules, what opening must report. */
function tamper(s: Stream, other: Other, t: Tamper): Case | null {
  const S = s.segmentSize;
  const F = S + TAG_LENGTH;
  const n = s.frames.length;
  const lastFull = s.frames[n - 1]!.length === F;
  const base = { key: s.key, modelId: s.modelId };
  const segAuth = (segment: number): Expected => ({ error: SegmentAuthenticationError, segment, released: segment * S });
  switch (t.kind) {
    case "wrong-key":
      return { input: [s.header, ...s.frames], ...base, key: other.key, expected: { error: WrongKeyError, released: 0 } };
    case "header-bit": {
      const header = Uint8Array.from(s.header);
      const byte = t.bit >> 3;
      header[byte]! ^= 1 << (t.bit & 7);
      let error: ErrorClass = HeaderTamperedError;
      if (byte < 5) error = MalformedHeaderError; // magic, version
      else if (byte < 9) {
        const size = new DataView(header.buffer).getUint32(5);
        if (size < 1 || size > MAX_SEGMENT_SIZE) error = MalformedHeaderError;
      } else if (byte >= 48 && byte < 80) error = WrongKeyError; // the key commitment itself
      return { input: [header, ...s.frames], ...base, expected: { error, released: 0 } };
    }
    case "body-bit": {
      const body = Buffer.concat(s.frames);
      const at = t.at % body.length;
      body[at]! ^= 1 << t.bit;
      return { input: [s.header, body], ...base, expected: segAuth(Math.floor(at / F)) };
    }
    case "swap": {
      if (n < 2) return null;
      const i = t.i % n;
      const j = t.j % n;
      if (i === j) return null;
      const frames = [...s.frames];
      [frames[i], frames[j]] = [frames[j]!, frames[i]!];
      return { input: [s.header, ...frames], ...base, expected: segAuth(Math.min(i, j)) };
    }
    case "duplicate": {
      const i = t.i % n;
      const frames = [...s.frames];
      frames.splice(i + 1, 0, s.frames[i]!);
      // A full final frame followed by its copy is a valid end with data after it.
      const expected = i === n - 1 && lastFull ? { error: TrailingDataError, released: (n - 1) * S } : segAuth(i + 1 === n ? n - 1 : i + 1);
      return { input: [s.header, ...frames], ...base, expected };
    }
    case "drop": {
      const i = t.i % n;
      const frames = s.frames.filter((_, k) => k !== i);
      // Dropping the final frame leaves a non-final one last: authentic, but not released.
      const expected = i === n - 1 ? { error: TruncatedStreamError, released: Math.max(0, n - 2) * S } : segAuth(i);
      return { input: [s.header, ...frames], ...base, expected };
    }
    case "truncate": {
      const whole = Buffer.concat([s.header, ...s.frames]);
      const keep = t.cut % whole.length; // keeps 0 .. length-1 bytes
      const input = [whole.subarray(0, keep)];
      if (keep < HEADER_LENGTH) return { input, ...base, expected: { error: TruncatedStreamError, released: 0 } }; // 0 bytes too
      const body = keep - HEADER_LENGTH;
      const whole_frames = Math.floor(body / F);
      const rest = body - whole_frames * F;
      if (rest === 0) return { input, ...base, expected: { error: TruncatedStreamError, released: Math.max(0, whole_frames - 1) * S } };
      // Too few bytes left for a final frame: less than a tag, or just a tag after full frames.
      if (rest < TAG_LENGTH || (rest === TAG_LENGTH && whole_frames > 0)) return { input, ...base, expected: { error: TruncatedStreamError, released: whole_frames * S } };
      return { input, ...base, expected: segAuth(whole_frames) };
    }
    case "extend": {
      const expected = lastFull ? { error: TrailingDataError, released: (n - 1) * S } : segAuth(n - 1);
      return { input: [s.header, ...s.frames, t.extra], ...base, expected };
    }
    case "foreign-header": {
      // Another model's header: under another key it fails the key check; under the same key
      // (key reuse) it is authentic, so either the model check or segment 0 catches it.
      const source = t.sameKey ? other.sameKeyHeader! : other.header;
      const expected: Expected = !t.sameKey
        ? { error: WrongKeyError, released: 0 }
        : t.expectModel
          ? { error: ModelMismatchError, released: 0 }
          : segAuth(0);
      return { input: [source, ...s.frames], key: s.key, ...(t.expectModel ? { modelId: s.modelId } : {}), expected };
    }
    case "foreign-segment": {
      const i = t.i % n;
      if (i >= other.frames.length || other.frames[i]!.length !== s.frames[i]!.length) return null;
      const frames = [...s.frames];
      frames[i] = other.frames[i]!;
      return { input: [s.header, ...frames], ...base, expected: segAuth(i) };
    }
    case "expect-other-model":
      return { input: [s.header, ...s.frames], key: s.key, modelId: other.modelId, expected: { error: ModelMismatchError, released: 0 } };
  }
}

describe("sealed stream: tampering", function () {
  this.timeout(300_000);

  it("rejects 10,000 random tamper cases, each with the right error and no early release", async () => {
    let checked = 0;
    const kinds = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(streamArb, tamperArb, async (p, t) => {
        if (Buffer.from(p.key).equals(p.otherKey) || Buffer.from(p.modelId).equals(p.otherModelId)) return;
        const s = await sealStream(p.key, p.modelId, p.segmentSize, p.plaintext);
        const other: Other = await sealStream(p.otherKey, p.otherModelId, p.segmentSize, p.plaintext);
        if (t.kind === "foreign-header") {
          other.sameKeyHeader = (await sealStream(p.key, p.otherModelId, p.segmentSize, p.plaintext)).header;
        }
        const c = tamper(s, other, t);
        if (c === null) return;
        const released: Uint8Array[] = [];
        let thrown: unknown;
        try {
          for await (const part of open(c.input, { key: c.key, ...(c.modelId ? { modelId: c.modelId } : {}) })) released.push(part);
        } catch (error) {
          thrown = error;
        }
        assert.ok(thrown instanceof c.expected.error, `${t.kind}: expected ${c.expected.error.name}, got ${String(thrown)}`);
        if (c.expected.segment !== undefined) assert.equal((thrown as SegmentAuthenticationError).segment, c.expected.segment, t.kind);
        const out = Buffer.concat(released);
        assert.equal(out.length, c.expected.released, `${t.kind}: released ${out.length} bytes`);
        assert.ok(out.equals(Buffer.from(p.plaintext).subarray(0, out.length)), `${t.kind}: released bytes are not the original prefix`);
        checked++;
        kinds.set(t.kind, (kinds.get(t.kind) ?? 0) + 1);
      }),
      { numRuns: 11_000 },
    );
    assert.ok(checked >= 10_000, `only ${checked} tamper cases applied`);
    assert.equal(kinds.size, 11, `kinds covered: ${[...kinds.keys()].join(", ")}`);
  });
});
