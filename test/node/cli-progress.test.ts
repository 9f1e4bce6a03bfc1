import assert from "node:assert/strict";
import { progressBar, type CliIo } from "../../node/cli/io.js";
import { UsageError } from "../../node/cli/usage-error.js";

function bufferIo(tty: boolean): CliIo & { err: () => string } {
  let err = "";
  return {
    stdout: { write: () => true },
    stderr: { write: (text: string) => (err += text) },
    env: {},
    progressStream: { isTTY: tty, write: () => true } as unknown as NodeJS.WriteStream,
    err: () => err,
  };
}

describe("CLI progress", () => {
  it("--progress json writes parseable lines on stderr, throttled, ending at the total, with the file", () => {
    const io = bufferIo(false);
    const progress = progressBar(io, { progress: "json" }, "fetch", 300);
    progress.update(100, { file: "a.bin" });
    progress.update(200, { file: "b.bin" }); // within 250 ms of the first: not written yet
    progress.update(300);
    progress.stop();
    const lines = io.err().trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines[0], { progress: "fetch", bytes: 100, totalBytes: 300, file: "a.bin" });
    assert.deepEqual(lines.at(-1), { progress: "fetch", bytes: 300, totalBytes: 300, file: "b.bin" });
    assert.equal(lines.length, 2);
  });

  it("json mode works with --json too; without --progress nothing is written off a terminal", () => {
    const json = bufferIo(false);
    const a = progressBar(json, { json: true, progress: "json" }, "publish", 10);
    a.update(10);
    a.stop();
    assert.match(json.err(), /"bytes":10/);
    const quiet = bufferIo(false);
    const b = progressBar(quiet, {}, "publish", 10);
    b.update(10);
    b.stop();
    assert.equal(quiet.err(), "");
  });

  it("an unknown mode is a usage error", () => {
    assert.throws(() => progressBar(bufferIo(true), { progress: "xml" }, "fetch", 1), UsageError);
  });
});
