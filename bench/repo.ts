/**
 * npm run bench:repo — a Hugging Face-style model directory end to end, every node its own process:
 *   a GPT-2-small-shaped directory (~124M float32 parameters in two safetensors shards, the
 *   index, config, generation config, tokenizer, vocab, merges) generated here;
 *   `modelvault publish DIR` to node A (and, for scale, `publish` of the same bytes as one file);
 *   `modelvault fetch` of the whole directory through node B, which holds nothing and is peered with A;
 *   `modelvault tensors` (every tensor of both shards) through a fresh node that holds nothing;
 *   `modelvault fetch --tensor` of one 768×2304 float32 tensor (7 MB) against
 *   `modelvault fetch --include` of its whole shard, each through a fresh node.
 * The CLI runs in this process (its own code path: the API, ciphertext ranges, local decryption);
 * the nodes are children (bench/io/serve-peer.ts). Each timed phase starts after `sync`.
 *
 *   node --import tsx bench/repo.ts [--rounds 3] [--layers 12] [--input DIR]
 */
import { execFileSync } from "node:child_process";
import { createHash, randomFillSync } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { run } from "../node/cli/index.js";
import type { CliIo } from "../node/cli/io.js";
import { serializeSafetensors } from "../zkp/safetensors.js";
import { BenchChild } from "./io/child.js";
import { warmMemory } from "./io/local.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    layers: { type: "string", default: "12" },
    // Generate the directory into DIR and keep it there afterwards.
    input: { type: "string" },
  },
});
const ROUNDS = Number(values.rounds);
const LAYERS = Number(values.layers);
const TENSOR = "h.5.attn.c_attn.weight"; // 768 × 2304 float32
const MB = 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const dirs: string[] = [];
const children: BenchChild[] = [];

/** GPT-2 small's parameter shapes, in Hugging Face's names (transformer prefix dropped). */
function gpt2Shapes(layers: number): [string, number[]][] {
  const d = 768;
  const shapes: [string, number[]][] = [["wte.weight", [50257, d]], ["wpe.weight", [1024, d]]];
  for (let i = 0; i < layers; i++) {
    const h = `h.${i}`;
    shapes.push(
      [`${h}.ln_1.weight`, [d]], [`${h}.ln_1.bias`, [d]],
      [`${h}.attn.c_attn.weight`, [d, 3 * d]], [`${h}.attn.c_attn.bias`, [3 * d]],
      [`${h}.attn.c_proj.weight`, [d, d]], [`${h}.attn.c_proj.bias`, [d]],
      [`${h}.ln_2.weight`, [d]], [`${h}.ln_2.bias`, [d]],
      [`${h}.mlp.c_fc.weight`, [d, 4 * d]], [`${h}.mlp.c_fc.bias`, [4 * d]],
      [`${h}.mlp.c_proj.weight`, [4 * d, d]], [`${h}.mlp.c_proj.bias`, [d]],
    );
  }
  shapes.push(["ln_f.weight", [d]], ["ln_f.bias", [d]]);
  return shapes;
}

/** Writes the directory; returns its total size, parameter count and the shard holding TENSOR. */
async function generateRepository(dir: string): Promise<{ bytes: number; parameters: number; tensorShard: string }> {
  await mkdir(dir, { recursive: true });
  const shapes = gpt2Shapes(LAYERS);
  const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const parameters = shapes.reduce((sum, [, shape]) => sum + count(shape), 0);
  // Split like transformers' save_pretrained: shard 1 fills up to half the bytes, in order.
  const shards: [string, number[]][][] = [[], []];
  let filled = 0;
  let index = 0;
  for (const entry of shapes) {
    if (index === 0 && filled > 0 && filled + count(entry[1]) > parameters / 2) index = 1;
    shards[index]!.push(entry);
    filled += count(entry[1]);
  }
  const names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];
  const weightMap: Record<string, string> = {};
  for (const [i, shard] of shards.entries()) {
    const tensors = new Map<string, { dtype: "F32"; shape: number[]; data: Float32Array }>();
    for (const [name, shape] of shard) {
      const data = new Float32Array(count(shape));
      randomFillSync(data);
      for (let j = 0; j < data.length; j++) if (!Number.isFinite(data[j]!)) data[j] = 0; // NaN payloads would not round-trip
      tensors.set(name, { dtype: "F32", shape, data });
      weightMap[name] = names[i]!;
    }
    await writeFile(join(dir, names[i]!), serializeSafetensors(tensors, { format: "pt" }));
  }
  const text = (n: number) => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`tok${i}`, i])));
  await writeFile(join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: { total_size: parameters * 4 }, weight_map: weightMap }, null, 2));
  await writeFile(join(dir, "config.json"), JSON.stringify({ model_type: "gpt2", n_embd: 768, n_layer: LAYERS, n_head: 12, vocab_size: 50257 }, null, 2));
  await writeFile(join(dir, "generation_config.json"), JSON.stringify({ bos_token_id: 50256, eos_token_id: 50256 }, null, 2));
  await writeFile(join(dir, "tokenizer.json"), JSON.stringify({ version: "1.0", model: { type: "BPE", vocab: JSON.parse(text(50257)) } }));
  await writeFile(join(dir, "vocab.json"), text(50257));
  await writeFile(join(dir, "merges.txt"), Array.from({ length: 50000 }, (_, i) => `a${i} b${i}`).join("\n"));
  let bytes = 0;
  for (const name of [...names, "model.safetensors.index.json", "config.json", "generation_config.json", "tokenizer.json", "vocab.json", "merges.txt"]) bytes += (await stat(join(dir, name))).size;
  return { bytes, parameters, tensorShard: weightMap[TENSOR]! };
}

/** Runs the CLI in this process; its --json answer, or an error with what it printed. */
async function cli(argv: string[]): Promise<Record<string, unknown>> {
  let out = "";
  let err = "";
  const io: CliIo = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env: {} };
  const code = await run([...argv, "--json"], io);
  if (code !== 0) throw new Error(`modelvault ${argv.slice(0, 2).join(" ")} exited ${code}: ${err.slice(-2000)}`);
  return JSON.parse(out.trim().split("\n").at(-1)!) as Record<string, unknown>;
}

async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `mv-bench-repo-${name}-`));
  dirs.push(dir);
  return dir;
}

/** A node in its own process, with a fresh data dir; peered with `source` when given. */
async function startNode(name: string, source?: { addresses: string[] }): Promise<{ api: string; addresses: string[]; child: BenchChild }> {
  const child = new BenchChild("./serve-peer.ts", { dataDir: await tempDir(name) });
  children.push(child);
  const ready = await child.next("ready");
  const node = { api: ready.api as string, addresses: ready.addresses as string[], child };
  if (source !== undefined) {
    const response = await fetch(new URL(`/v1/peers?address=${encodeURIComponent(source.addresses[0]!)}`, node.api), { method: "POST" });
    if (!response.ok) throw new Error(`peering failed: ${response.status} ${await response.text()}`);
  }
  return node;
}

async function stopNode(node: { child: BenchChild }): Promise<void> {
  await node.child.stop();
  children.splice(children.indexOf(node.child), 1);
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  execFileSync("sync");
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function main() {
  const [warmGiB] = warmMemory();
  console.log(`touched ${warmGiB} GiB of free memory first (see warmMemory in bench/io/local.ts)`);
  const repo = values.input ?? (await tempDir("input"));
  const { bytes, parameters, tensorShard } = await generateRepository(repo);
  const shardBytes = (await stat(join(repo, tensorShard))).size;
  console.log(`generated a GPT-2-small-shaped directory: ${(parameters / 1e6).toFixed(1)}M float32 parameters, ${(bytes / MB).toFixed(1)} MB in 8 files`);

  const owner = await startNode("owner");
  const concatenated = join(await tempDir("concatenated"), "all-files.bin");
  await writeFile(concatenated, Buffer.concat(await Promise.all((await readdir(repo)).sort().map((name) => readFile(join(repo, name))))));
  // Directory and file publishes alternate which goes first: neither always meets the other's writeback.
  const publishMs: number[] = [];
  const publishFileMs: number[] = [];
  let published: Record<string, unknown> = {};
  for (let r = 0; r < ROUNDS; r++) {
    const directory = async () => {
      const [answer, ms] = await timed(() => cli(["publish", repo, "--api", owner.api, "--name", "gpt2-bench"]));
      published = answer;
      publishMs.push(ms);
    };
    const file = async () => publishFileMs.push((await timed(() => cli(["publish", concatenated, "--api", owner.api])))[1]);
    if (r % 2 === 0) await directory().then(file);
    else await file().then(directory);
  }
  const cid = published.manifestCid as string;
  const key = published.key as string;

  // The whole directory through a node that holds nothing.
  const fetcher = await startNode("fetch", owner);
  const output = join(await tempDir("output"), "gpt2");
  const [, fetchMs] = await timed(() => cli(["fetch", cid, "-o", output, "--key", key, "--api", fetcher.api]));
  for (const name of ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "tokenizer.json"]) {
    if ((await sha256Of(join(repo, name))) !== (await sha256Of(join(output, name)))) throw new Error(`${name} differs after the round trip`);
  }
  await stopNode(fetcher);

  const listMs: number[] = [];
  const tensorMs: number[] = [];
  const wholeShardMs: number[] = [];
  let tensorCount = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const lister = await startNode(`list${r}`, owner);
    const [listing, ms] = await timed(() => cli(["tensors", cid, "--key", key, "--api", lister.api]));
    tensorCount = (listing.tensors as unknown[]).length;
    listMs.push(ms);
    await stopNode(lister);

    const single = await startNode(`tensor${r}`, owner);
    const out = join(await tempDir(`tensor${r}`), "one.safetensors");
    tensorMs.push((await timed(() => cli(["fetch", cid, "--tensor", TENSOR, "-o", out, "--key", key, "--api", single.api])))[1]);
    await stopNode(single);

    const whole = await startNode(`shard${r}`, owner);
    const shardOut = join(await tempDir(`shard${r}`), "gpt2");
    await mkdir(shardOut);
    wholeShardMs.push((await timed(() => cli(["fetch", cid, "--include", tensorShard, "-o", shardOut, "--key", key, "--api", whole.api])))[1]);
    await stopNode(whole);
  }
  if (tensorCount !== gpt2Shapes(LAYERS).length) throw new Error(`listed ${tensorCount} tensors, expected ${gpt2Shapes(LAYERS).length}`);
  await stopNode(owner);

  const figures = {
    publishMBps: bytes / MB / (median(publishMs) / 1000),
    publishFileMBps: bytes / MB / (median(publishFileMs) / 1000),
    fetchMBps: bytes / MB / (fetchMs / 1000),
    listMs: median(listMs),
    tensorMs: median(tensorMs),
    wholeShardMs: median(wholeShardMs),
    tensorRatio: median(tensorMs) / median(wholeShardMs),
  };
  const f = (x: number) => x.toFixed(1).padStart(9);
  console.log(`\nmodel directory, ${(bytes / MB).toFixed(1)} MB; every node its own process; publish, list and tensor phases: median of ${ROUNDS} (a fresh node each to list or read) (MB = 10^6 B)\n`);
  console.log(`publish DIR (tar upload, seal, store)          ${f(figures.publishMBps)} MB/s`);
  console.log(`  for scale: the same bytes as one file        ${f(figures.publishFileMBps)} MB/s`);
  console.log(`fetch DIR through a node holding nothing       ${f(figures.fetchMBps)} MB/s`);
  console.log(`list all ${tensorCount} tensors of both shards         ${f(figures.listMs)} ms   (rounds: ${listMs.map((x) => x.toFixed(0)).join(", ")}; goal <= 1000)`);
  console.log(`fetch --tensor ${TENSOR} (7.1 MB) ${f(figures.tensorMs)} ms   (rounds: ${tensorMs.map((x) => x.toFixed(0)).join(", ")})`);
  console.log(`fetch --include ${tensorShard} ${f(figures.wholeShardMs)} ms   (${(shardBytes / MB).toFixed(0)} MB)`);
  console.log(`tensor / whole shard                            ${figures.tensorRatio.toFixed(4).padStart(9)}      (goal <= 0.05)\n`);
  console.log(JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Number(v.toFixed(3))]))));
}

try {
  await main();
} finally {
  await Promise.all(children.splice(0).map((c) => c.kill()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true, maxRetries: 5 })));
}
