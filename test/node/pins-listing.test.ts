import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { run } from "../../node/cli/index.js";
import { BIN, MemoryIo } from "./fixtures/cli.js";

const MANIFEST = "bagaaierasords4njcts6vs7qvdjfcvgnume4hqohf65zsfguprqphs3icwea";
const CONTENT = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";

/** A node API that answers GET /v1/pins with `count` pins: one manifest of a model, the rest plain. */
async function fakeNode(count: number): Promise<{ url: string; server: Server }> {
  const pins = [
    { cid: MANIFEST, depth: Infinity, metadata: { kind: "manifest" }, model: { name: "iris-mlp", version: 3, owner: "0x0000000000000000000000000000000000000001", kind: "directory", plaintextSize: 5 * 2 ** 20 + 300_000, sealedSize: 5_600_000, files: 4 } },
    ...Array.from({ length: count - 1 }, (_, i) => ({ cid: `${CONTENT.slice(0, -6)}${String(i).padStart(6, "0")}`, depth: Infinity, metadata: { source: "api" } })),
  ];
  const body = JSON.stringify({ pins });
  const server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(req.url === "/v1/pins" ? body : JSON.stringify({ error: { code: "NOT_FOUND", message: "no" } }));
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

describe("pins ls names models; a closed stdout ends any command quietly", function () {
  this.timeout(60_000);
  let node: { url: string; server: Server };

  before(async () => {
    node = await fakeNode(30_000);
  });
  after(async () => {
    node?.server.closeAllConnections();
    await new Promise((closed) => node?.server.close(closed));
  });

  it("pins ls shows a manifest pin's model name, version and size, and the others' kind", async () => {
    const io = new MemoryIo({});
    assert.equal(await run(["pins", "--api", node.url], io), 0, io.err);
    const lines = io.out.trimEnd().split("\n");
    assert.equal(lines.length, 30_000);
    assert.match(lines[0]!, new RegExp(`^${MANIFEST}  manifest  iris-mlp  v3  5\\.3 MiB in 4 files$`));
    assert.match(lines[1]!, /^bafkrei[a-z0-9]+ +api$/);
  });

  it("`modelvault pins | head -1`: exit code 0, no EPIPE stack trace", async () => {
    const child = spawn(process.execPath, [BIN, "pins", "--api", node.url], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (part: Buffer) => (err += part.toString()));
    // The reader takes the first chunk and goes away, like head does.
    const first = await new Promise<string>((resolve) => child.stdout.once("data", (part: Buffer) => resolve(part.toString())));
    child.stdout.destroy();
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("exit", (c, s) => resolve([c, s])));
    assert.match(first, new RegExp(`^${MANIFEST}`));
    assert.equal(err, "", "nothing on stderr");
    assert.deepEqual([code, signal], [0, null]);
  });
});
