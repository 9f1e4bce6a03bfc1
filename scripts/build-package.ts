// npm run build [-- --pack]: stages the installable package in dist/package/ (and with --pack,
// `npm pack`s it into dist/). The staged tree mirrors the checkout's layout, so every path the
// code resolves relative to itself (../package.json, build/circuits, worker modules, the
// package.json "imports") holds in both places.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildWeb } from "./build-web.js";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const PACKAGE_DIR = join(ROOT, "dist", "package");
const CIRCUITS = join(ROOT, "build", "circuits");
/** Source folders compiled into the package (tsconfig.build.json includes the same). */
const RUNTIME_DIRS = ["crypto", "sdk", "node", "contracts", "zkp"];
/** package.json fields the installed package has no use for. */
const DEV_ONLY_FIELDS = ["devDependencies", "scripts"];

interface PackageJson {
  name: string;
  version: string;
  files: string[];
  bin: Record<string, string>;
  exports: unknown;
  imports?: unknown;
  [field: string]: unknown;
}

/** Compiles and stages the package; returns its directory. Throws, naming the cause, on any failure. */
export function buildPackage(): string {
  const circuits = builtCircuits();
  rmSync(PACKAGE_DIR, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const compiled = spawnSync(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.build.json")], { cwd: ROOT, encoding: "utf8" });
  if (compiled.status !== 0) throw new Error(`tsc failed:\n${compiled.stdout}${compiled.stderr}`);

  shipAmbientDeclarations();
  copy("bin/modelvault.js");
  for (const file of ["README.md", "SECURITY.md", "LICENSE"]) if (existsSync(join(ROOT, file))) copy(file);
  for (const file of readdirSync(join(ROOT, "docs"))) if (file.endsWith(".md")) copy(join("docs", file));
  for (const file of readdirSync(join(ROOT, "models"))) if (file.endsWith(".safetensors")) copy(join("models", file));
  // What zkp/groth16.ts and zkp/inference.ts read to prove and verify (not the r1cs, not the build stamps).
  for (const name of circuits) {
    for (const file of [`${name}.zkey`, join(`${name}_js`, `${name}.wasm`), "verification_key.json", "mlp-spec.json"]) {
      const path = join("build", "circuits", name, file);
      if (existsSync(join(ROOT, path))) copy(path);
    }
  }

  // The web app the installed node serves at / (node/http/web-app.ts finds it at build/web/).
  buildWeb();
  cpSync(join(ROOT, "build", "web"), join(PACKAGE_DIR, "build", "web"), { recursive: true });

  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as PackageJson;
  for (const field of DEV_ONLY_FIELDS) delete manifest[field];
  writeFileSync(join(PACKAGE_DIR, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
  const missing = targetsOf(manifest).filter((target) => !existsSync(join(PACKAGE_DIR, target)));
  if (missing.length > 0) throw new Error(`the staged package lacks targets of its package.json: ${missing.join(", ")}`);
  return PACKAGE_DIR;
}

export interface PackedPackage {
  tarball: string;
  /** Paths inside the package, as `npm pack` listed them. */
  files: string[];
  /** Bytes of the tarball. */
  size: number;
}

/** `npm pack`s the staged package into `destination`. */
export function packPackage(destination = join(ROOT, "dist")): PackedPackage {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const packed = spawnSync(npm, ["pack", PACKAGE_DIR, "--pack-destination", destination, "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8" });
  if (packed.status !== 0) throw new Error(`npm pack failed:\n${packed.stderr}`);
  const [{ filename, files, size }] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[]; size: number }];
  return { tarball: join(destination, filename), files: files.map((file) => file.path), size };
}

/**
 * Hand-written declarations of untyped dependencies (zkp/snarkjs.d.ts: `declare module "snarkjs"`)
 * are not emitted by tsc, and an emitted declaration importing such a module would not find
 * them in a consumer's type check: each is copied, and referenced from every declaration that
 * imports its module.
 */
function shipAmbientDeclarations(): void {
  const ambient = new Map<string, string>(); // module name -> its declaration file in the package
  const emitted: string[] = [];
  for (const dir of RUNTIME_DIRS) {
    for (const file of readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".d.ts")) continue;
      copy(join(dir, file));
      for (const [, name] of readFileSync(join(ROOT, dir, file), "utf8").matchAll(/^declare module "([^"]+)"/gm)) ambient.set(name!, join(PACKAGE_DIR, dir, file));
    }
    for (const file of readdirSync(join(PACKAGE_DIR, dir), { recursive: true, encoding: "utf8" })) {
      if (file.endsWith(".d.ts")) emitted.push(join(PACKAGE_DIR, dir, file));
    }
  }
  for (const file of emitted) {
    const text = readFileSync(file, "utf8");
    const references = [...ambient]
      .filter(([name, declaration]) => declaration !== file && (text.includes(`from "${name}"`) || text.includes(`import("${name}")`)))
      .map(([, declaration]) => `/// <reference path="${relative(dirname(file), declaration)}" />\n`);
    if (references.length > 0) writeFileSync(file, references.join("") + text);
  }
}

/** The circuits build:circuits made (a folder with a verification key); none is a build error. */
function builtCircuits(): string[] {
  const names = existsSync(CIRCUITS) ? readdirSync(CIRCUITS).filter((name) => existsSync(join(CIRCUITS, name, "verification_key.json"))) : [];
  if (names.length === 0) throw new Error(`no built circuit in ${relative(ROOT, CIRCUITS)}: run \`npm run build:circuits\` first`);
  return names;
}

function copy(path: string): void {
  mkdirSync(dirname(join(PACKAGE_DIR, path)), { recursive: true });
  cpSync(join(ROOT, path), join(PACKAGE_DIR, path));
}

/** Every concrete file the package.json points at: bin, types, exports and imports targets (not patterns). */
function targetsOf(manifest: PackageJson): string[] {
  const targets: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === "string") {
      if (!value.includes("*")) targets.push(value);
    } else if (value !== null && typeof value === "object") {
      for (const inner of Object.values(value)) walk(inner);
    }
  };
  walk([manifest.bin, manifest.types, manifest.exports, manifest.imports]);
  return targets;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { pack: { type: "boolean", default: false } } });
  try {
    const dir = buildPackage();
    console.log(`build: package staged in ${relative(ROOT, dir)}`);
    if (values.pack) {
      const { tarball, files, size } = packPackage();
      console.log(`build: ${relative(ROOT, tarball)}, ${files.length} files, ${(size / 1e6).toFixed(2)} MB`);
    }
  } catch (error) {
    console.error(`build: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
