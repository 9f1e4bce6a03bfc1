/**
 * Where a fetched model is written, for the CLI and the library alike: which files of a directory
 * model a fetch selects (--include/--exclude), what an output may be (checked before any content is
 * requested), how every file is written inside the output directory and nowhere else, and the
 * journal that lets an interrupted directory fetch resume. docs/API.md (`modelvault fetch`) is the spec.
 */
import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { lstat, mkdir, open, readFile, readdir, realpath, rename, rm, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import picomatch from "picomatch";
import { z } from "zod";
import { checkModelPath } from "../../crypto/directory.js";
import { writeFileAtomic } from "../atomic-file.js";
import {
  ContentMismatchError,
  NoFilesSelectedError,
  OutputExistsError,
  OutputIsADirectoryError,
  OutputNotADirectoryError,
  OutputParentMissingError,
  UnsafeOutputPathError,
} from "../errors.js";
import type { DirectoryFile } from "./manifest.js";

/** The fetch's own directory inside the output: the resume journal and the files being written. */
export const FETCH_STATE_DIR = ".modelvault-fetch";
const JOURNAL_NAME = "journal.json";
const JOURNAL_FORMAT = "modelvault/fetch-journal/1";
/** Most paths one OutputExistsError names. */
const LISTED_PATHS = 20;

export interface DirectorySelection {
  /** Fetch only files matching one of these patterns (all files when empty or absent). */
  include?: readonly string[];
  /** Skip files matching one of these patterns. */
  exclude?: readonly string[];
}

export interface OutputOptions extends DirectorySelection {
  /** Overwrite existing files (never a directory, a symbolic link or a special file). */
  force?: boolean;
}

/**
 * One --include/--exclude pattern (picomatch, `dot: true`), matched like .gitignore: a pattern
 * with a "/" (other than a trailing one) is matched against the whole path from the model's root
 * (a leading "/" only anchors); one without is matched against every path component, so
 * `*.safetensors` takes shards at any depth and `tokenizer` a whole directory. A pattern matching
 * a directory takes every file under it; a trailing "/" matches directories only.
 */
export function compilePattern(pattern: string, paths: readonly string[] = []): (path: string) => boolean {
  const dirOnly = pattern.endsWith("/");
  const anchoredAtRoot = pattern.startsWith("/");
  const body = pattern.replace(/\/+$/, "").replace(/^\/+/, "");
  if (body === "") throw new NoFilesSelectedError(`empty pattern ${JSON.stringify(pattern)}`, paths);
  const anchored = anchoredAtRoot || body.includes("/");
  const isMatch = picomatch(body, { dot: true });
  return (path) => {
    const parts = path.split("/");
    const last = dirOnly ? parts.length - 1 : parts.length;
    for (let i = 1; i <= last; i++) {
      if (isMatch(anchored ? parts.slice(0, i).join("/") : parts[i - 1]!)) return true;
    }
    return false;
  };
}

/** The files a selection takes, in manifest order: matching any include (or there is none) and no exclude. */
export function selectFiles<F extends { path: string }>(files: readonly F[], selection: DirectorySelection = {}): F[] {
  const paths = files.map((f) => f.path);
  const includes = (selection.include ?? []).map((p) => compilePattern(p, paths));
  const excludes = (selection.exclude ?? []).map((p) => compilePattern(p, paths));
  const selected = files.filter((f) => (includes.length === 0 || includes.some((m) => m(f.path))) && !excludes.some((m) => m(f.path)));
  if (selected.length === 0) {
    const asked = [...(selection.include ?? []).map((p) => `--include ${p}`), ...(selection.exclude ?? []).map((p) => `--exclude ${p}`)].join(" ");
    throw new NoFilesSelectedError(`${asked} selects no file`, paths);
  }
  return selected;
}

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === "ENOENT";
const statOrNone = (path: string) => stat(path).catch((error) => (isMissing(error) ? undefined : Promise.reject(error)));
const lstatOrNone = (path: string) => lstat(path).catch((error) => (isMissing(error) ? undefined : Promise.reject(error)));

/**
 * The output of a one-file model: not a directory, not ending in "/", in an existing directory,
 * and not an existing file unless `force`. Checks only; writes nothing.
 */
export async function checkFileOutput(output: string, options: { force?: boolean } = {}): Promise<void> {
  if (output === "" || output.endsWith("/") || output.endsWith(sep)) throw new OutputIsADirectoryError(output);
  const existing = await statOrNone(output);
  if (existing?.isDirectory()) throw new OutputIsADirectoryError(output);
  const parent = dirname(resolve(output));
  if (!(await statOrNone(parent))?.isDirectory()) throw new OutputParentMissingError(output, dirname(output));
  if ((existing !== undefined || (await lstatOrNone(output)) !== undefined) && options.force !== true) throw new OutputExistsError([output]);
}

const journalSchema = z.object({
  journal: z.literal(JOURNAL_FORMAT),
  manifestCid: z.string(),
  /** Paths this fetch may overwrite: they were missing, or --force was given, when it started. */
  claimed: z.array(z.string()),
  /** Files written in full: their size and the SHA-256 of their bytes. */
  done: z.record(z.object({ size: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
});
type Journal = z.infer<typeof journalSchema>;

async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
  } finally {
    await handle.close();
  }
  return hash.digest("hex");
}

export interface DirectoryProgress {
  /** Plaintext bytes of the selection written or found complete so far. */
  bytes: number;
  totalBytes: number;
  /** The file being written. */
  file: string;
}

export interface DirectoryOutputFile {
  path: string;
  bytes: number;
  /** Found complete from an interrupted run (size and hash as journaled): not fetched again. */
  resumed: boolean;
}

export interface DirectoryOutputResult {
  /** The output directory, as given. */
  output: string;
  files: DirectoryOutputFile[];
  /** Plaintext bytes of the selection. */
  totalBytes: number;
  /** Of which fetched by this run. */
  fetchedBytes: number;
}

interface Pending {
  file: DirectoryFile;
  /** The target may be overwritten: ours (journaled) or --force. */
  overwrite: boolean;
}

/**
 * A directory model's output, checked: `plan()` reads only (the output must be a directory or not
 * exist; existing files need --force unless an interrupted fetch of the same manifest claimed them;
 * journaled complete files are re-hashed and kept), `write()` creates and fills it.
 */
export class DirectoryOutput {
  readonly output: string;
  readonly selected: readonly DirectoryFile[];
  readonly totalBytes: number;
  readonly #root: string;
  readonly #manifestCid: string;
  readonly #pending: Pending[];
  readonly #complete: Set<string>;
  readonly #journal: Journal | undefined;
  readonly #replaceState: boolean;
  /** The output existed at plan(): #root is its real path then. */
  readonly #existed: boolean;

  private constructor(fields: {
    output: string;
    root: string;
    manifestCid: string;
    selected: DirectoryFile[];
    pending: Pending[];
    complete: Set<string>;
    journal: Journal | undefined;
    replaceState: boolean;
    existed: boolean;
  }) {
    this.output = fields.output;
    this.#root = fields.root;
    this.#manifestCid = fields.manifestCid;
    this.selected = fields.selected;
    this.#pending = fields.pending;
    this.#complete = fields.complete;
    this.#journal = fields.journal;
    this.#replaceState = fields.replaceState;
    this.#existed = fields.existed;
    this.totalBytes = fields.selected.reduce((n, f) => n + f.plaintextSize, 0);
  }

  /** The selected files that `write()` will fetch (the others were found complete). */
  get pending(): readonly DirectoryFile[] {
    return this.#pending.map((p) => p.file);
  }

  static async plan(output: string, manifestCid: string, files: readonly DirectoryFile[], options: OutputOptions = {}): Promise<DirectoryOutput> {
    const selected = selectFiles(files, options);
    for (const file of selected) {
      checkModelPath(file.path);
      if (file.path.split("/")[0] === FETCH_STATE_DIR) throw new UnsafeOutputPathError(file.path, `${FETCH_STATE_DIR} is the fetch's own directory`);
    }
    const given = resolve(output);
    const existing = await statOrNone(given); // -o may be a symbolic link to a directory: the user named it
    if (existing !== undefined && !existing.isDirectory()) throw new OutputNotADirectoryError(output);
    const fields = { output, manifestCid, selected, pending: [] as Pending[], complete: new Set<string>(), journal: undefined as Journal | undefined, replaceState: false };
    if (existing === undefined) {
      fields.pending = selected.map((file) => ({ file, overwrite: false }));
      return new DirectoryOutput({ ...fields, root: given, existed: false });
    }
    const root = await realpath(given);
    const { journal, foreign } = await readJournal(root);
    const ours = journal?.manifestCid === manifestCid ? journal : undefined;
    const found: string[] = [];
    if (foreign && options.force !== true) found.push(join(FETCH_STATE_DIR, JOURNAL_NAME));
    for (const file of selected) {
      if ((await inspectTarget(root, file.path)) === "missing") {
        fields.pending.push({ file, overwrite: false });
        continue;
      }
      const done = ours?.done[file.path];
      if (done !== undefined && done.size === file.plaintextSize && (await lstat(join(root, file.path))).size === done.size && (await sha256Of(join(root, file.path))) === done.sha256) {
        fields.complete.add(file.path);
      } else if (ours?.claimed.includes(file.path) || options.force === true) {
        fields.pending.push({ file, overwrite: true });
      } else {
        found.push(file.path);
      }
    }
    if (found.length > 0) throw new OutputExistsError(found.slice(0, LISTED_PATHS).map((p) => join(output, p)), found.length);
    return new DirectoryOutput({ ...fields, root, journal: ours, replaceState: foreign, existed: true });
  }

  /**
   * Creates the output (parents too) and writes every pending file from `source`, one after the
   * other; the journal records each as it completes and is removed at the end. `source` yields
   * the file's checked plaintext; its size is checked again here.
   */
  async write(source: (file: DirectoryFile) => AsyncIterable<Uint8Array>, onProgress?: (progress: DirectoryProgress) => void): Promise<DirectoryOutputResult> {
    await mkdir(this.#root, { recursive: true });
    const root = await realpath(this.#root);
    if (this.#existed && root !== this.#root) throw new UnsafeOutputPathError(this.output, "the output directory moved since it was checked");
    const state = join(root, FETCH_STATE_DIR);
    if (this.#replaceState) await rm(state, { recursive: true, force: true });
    await mkdir(state, { mode: 0o700 }).catch((error) => ((error as NodeJS.ErrnoException).code === "EEXIST" ? undefined : Promise.reject(error)));
    const stateStat = await lstat(state);
    if (stateStat.isSymbolicLink() || !stateStat.isDirectory()) throw new UnsafeOutputPathError(FETCH_STATE_DIR, "not a directory of this fetch");
    // Files an interrupted run was writing are discarded.
    for (const name of await readdir(state)) if (name.endsWith(".partial")) await rm(join(state, name), { force: true });

    const journal: Journal = {
      journal: JOURNAL_FORMAT,
      manifestCid: this.#manifestCid,
      claimed: [...new Set([...(this.#journal?.claimed ?? []), ...this.#pending.map((p) => p.file.path)])],
      done: Object.fromEntries(Object.entries(this.#journal?.done ?? {}).filter(([path]) => this.#complete.has(path))),
    };
    const saveJournal = () => writeFileAtomic(join(state, JOURNAL_NAME), JSON.stringify(journal));
    await saveJournal();

    let bytes = this.selected.filter((f) => this.#complete.has(f.path)).reduce((n, f) => n + f.plaintextSize, 0);
    let fetchedBytes = 0;
    for (const [index, { file, overwrite }] of this.#pending.entries()) {
      onProgress?.({ bytes, totalBytes: this.totalBytes, file: file.path });
      const before = bytes;
      const written = await this.#writeFile(root, join(state, `${index}.partial`), file, overwrite, source(file), async (digest) => {
        journal.done[file.path] = { size: file.plaintextSize, sha256: digest };
        await saveJournal(); // before the rename: a file that is in place is always journaled
      }, (n) => {
        bytes = before + n;
        onProgress?.({ bytes, totalBytes: this.totalBytes, file: file.path });
      });
      fetchedBytes += written;
    }
    await rm(state, { recursive: true, force: true });
    return {
      output: this.output,
      files: this.selected.map((f) => ({ path: f.path, bytes: f.plaintextSize, resumed: this.#complete.has(f.path) })),
      totalBytes: this.totalBytes,
      fetchedBytes,
    };
  }

  async #writeFile(
    root: string,
    temp: string,
    file: DirectoryFile,
    overwrite: boolean,
    plaintext: AsyncIterable<Uint8Array>,
    journaled: (sha256: string) => Promise<void>,
    onBytes: (n: number) => void,
  ): Promise<number> {
    const found = await inspectTarget(root, file.path); // again: the tree may have changed since plan()
    if (found === "file" && !overwrite) throw new OutputExistsError([join(this.output, file.path)]);
    await makeParents(root, file.path);
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    const hash = createHash("sha256");
    let size = 0;
    try {
      try {
        for await (const chunk of plaintext) {
          size += chunk.length;
          if (size > file.plaintextSize) throw new ContentMismatchError(`${file.path} is longer than the manifest says`);
          hash.update(chunk);
          await handle.write(chunk);
          onBytes(size);
        }
      } finally {
        await handle.close();
      }
      if (size !== file.plaintextSize) throw new ContentMismatchError(`${file.path} has ${size} bytes, the manifest says ${file.plaintextSize}`);
      await journaled(hash.digest("hex"));
      // Parents checked once more just before the file appears: no directory was swapped for a link.
      await checkParents(root, file.path);
      if ((await inspectTarget(root, file.path)) === "file" && !overwrite) throw new OutputExistsError([join(this.output, file.path)]);
      await rename(temp, join(root, file.path));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return size;
  }
}

/** The journal in `root`, if any; `foreign` when there is state of another fetch (or an unreadable one). */
async function readJournal(root: string): Promise<{ journal?: Journal; foreign: boolean }> {
  const state = join(root, FETCH_STATE_DIR);
  const found = await lstatOrNone(state);
  if (found === undefined) return { foreign: false };
  if (found.isSymbolicLink() || !found.isDirectory()) throw new UnsafeOutputPathError(FETCH_STATE_DIR, "not a directory of this fetch");
  try {
    const parsed = journalSchema.safeParse(JSON.parse(await readFile(join(state, JOURNAL_NAME), "utf8")));
    return parsed.success ? { journal: parsed.data, foreign: false } : { foreign: true };
  } catch {
    return { foreign: true };
  }
}

/**
 * What is at a model path inside `root` (a real path): nothing, or a regular file. Anything that
 * would make writing it unsafe or impossible throws: a path resolving outside `root`, a symbolic
 * link or special file at any component, a file where a directory is needed, a directory where the file goes.
 */
async function inspectTarget(root: string, path: string): Promise<"missing" | "file"> {
  const parts = path.split("/");
  const target = resolve(root, ...parts);
  const inside = relative(root, target);
  if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) throw new UnsafeOutputPathError(path, "it resolves outside the output directory");
  let at = root;
  for (const [i, name] of parts.entries()) {
    at = join(at, name);
    const found = await lstatOrNone(at);
    if (found === undefined) return "missing";
    const shown = parts.slice(0, i + 1).join("/");
    if (found.isSymbolicLink()) throw new UnsafeOutputPathError(path, `${JSON.stringify(shown)} in the output directory is a symbolic link`);
    if (i < parts.length - 1) {
      if (!found.isDirectory()) throw new OutputNotADirectoryError(shown, `the model has ${JSON.stringify(path)} inside it`);
    } else {
      if (found.isDirectory()) throw new OutputIsADirectoryError(path, "the model has a file there");
      if (!found.isFile()) throw new UnsafeOutputPathError(path, "it is not a regular file");
    }
  }
  return "file";
}

/** Creates the directories a model path needs, one by one, refusing a link or a file on the way. */
async function makeParents(root: string, path: string): Promise<void> {
  let at = root;
  for (const name of path.split("/").slice(0, -1)) {
    at = join(at, name);
    await mkdir(at).catch((error) => ((error as NodeJS.ErrnoException).code === "EEXIST" ? undefined : Promise.reject(error)));
    const found = await lstat(at);
    if (found.isSymbolicLink()) throw new UnsafeOutputPathError(path, `${JSON.stringify(relative(root, at))} in the output directory is a symbolic link`);
    if (!found.isDirectory()) throw new OutputNotADirectoryError(relative(root, at), `the model has ${JSON.stringify(path)} inside it`);
  }
}

/** The real path of the file's directory must be where it should be (no component is a link). */
async function checkParents(root: string, path: string): Promise<void> {
  const parent = dirname(join(root, path));
  if ((await realpath(parent)) !== parent) throw new UnsafeOutputPathError(path, "a directory on its way was replaced by a symbolic link");
}
