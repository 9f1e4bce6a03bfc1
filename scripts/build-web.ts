// npm run build:web: bundles the web app (web/) into build/web/ for the node to serve at /:
// ESM with code splitting (snarkjs and other dynamic imports load on first use), minified,
// content-hashed names under assets/, index.html pointing at them, and manifest.json with each
// file's raw and gzip size and what a first visit loads.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { buildSync, type Metafile } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const WEB_SOURCE = join(ROOT, "web");
export const WEB_BUILD = join(ROOT, "build", "web");

export interface WebFile {
  /** Path inside the build folder, e.g. "assets/main-3FJ2KQ.js". */
  file: string;
  bytes: number;
  gzipBytes: number;
  /** Loaded by a first visit (index.html, the entry, its static imports, the styles). */
  initial: boolean;
}

export interface WebManifest {
  entry: string;
  styles: string;
  files: WebFile[];
  /** Sum of the initial files' gzip sizes: what a first visit transfers. */
  firstLoadGzipBytes: number;
  /** Everything, for comparison. */
  totalGzipBytes: number;
}

/** Builds the app into `outdir` (emptied first) and returns its manifest (also written as manifest.json). Synchronous (esbuild's buildSync: no plugins needed), so the package build can call it. */
export function buildWeb(outdir = WEB_BUILD): WebManifest {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = buildSync({
    absWorkingDir: ROOT,
    entryPoints: { main: join(WEB_SOURCE, "main.ts"), styles: join(WEB_SOURCE, "styles.css") },
    outdir,
    bundle: true,
    format: "esm",
    splitting: true,
    platform: "browser",
    target: "es2022",
    minify: true,
    sourcemap: false,
    legalComments: "none",
    entryNames: "assets/[name]-[hash]",
    chunkNames: "assets/chunk-[hash]",
    assetNames: "assets/[name]-[hash]",
    metafile: true,
    logLevel: "silent",
  });
  const outputs = result.metafile.outputs;
  const name = (path: string) => relative(outdir, join(ROOT, path)).split("\\").join("/");
  const entryPath = Object.keys(outputs).find((path) => outputs[path]!.entryPoint?.endsWith("web/main.ts"))!;
  const stylesPath = Object.keys(outputs).find((path) => path.endsWith(".css"))!;
  const entry = name(entryPath);
  const styles = name(stylesPath);
  const template = readFileSync(join(WEB_SOURCE, "index.html"), "utf8");
  writeFileSync(join(outdir, "index.html"), template.replace("%MAIN%", `/${entry}`).replace("%STYLES%", `/${styles}`));

  const initial = new Set(["index.html", styles, ...staticClosure(result.metafile, entryPath).map(name)]);
  const files = ["index.html", ...Object.keys(outputs).map(name)].map((file): WebFile => {
    const body = readFileSync(join(outdir, file));
    return { file, bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length, initial: initial.has(file) };
  });
  const sum = (list: WebFile[]) => list.reduce((total, file) => total + file.gzipBytes, 0);
  const manifest: WebManifest = { entry, styles, files, firstLoadGzipBytes: sum(files.filter((file) => file.initial)), totalGzipBytes: sum(files) };
  writeFileSync(join(outdir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The output and every chunk it imports statically (dynamic imports load later, on use). */
function staticClosure(metafile: Metafile, start: string): string[] {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const imported of metafile.outputs[path]?.imports ?? []) if (imported.kind === "import-statement" && !imported.external) visit(imported.path);
  };
  visit(start);
  return [...seen];
}

/** Reads the manifest of a built app (the benchmark's first-visit size). */
export function readWebManifest(dir = WEB_BUILD): WebManifest {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as WebManifest;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const manifest = buildWeb();
  for (const file of manifest.files) console.log(`${file.initial ? "*" : " "} ${file.file.padEnd(40)} ${String(file.bytes).padStart(9)} B  ${String(file.gzipBytes).padStart(8)} B gzip`);
  console.log(`first visit (*): ${manifest.firstLoadGzipBytes} B gzip; all files: ${manifest.totalGzipBytes} B gzip -> ${relative(process.cwd(), WEB_BUILD) || "."}`);
}
