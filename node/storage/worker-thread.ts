/**
 * A worker thread shared by every caller in the process, spoken to in request/reply calls.
 * It is started on first use and keeps the process alive only while a call is pending. If it
 * dies, every pending call fails and the next caller gets a fresh one.
 */
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { parentPort, Worker, type Transferable } from "node:worker_threads";

interface Envelope {
  id: number;
  request: unknown;
}
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };

/** A request the worker refused; `message` is the worker's error message. */
export class WorkerRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkerRequestError";
  }
}

export class WorkerThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #nextId = 1;
  #failed: Error | undefined;

  constructor(url: URL, onFail: () => void) {
    // Workers run the TypeScript sources through tsx when this module itself is TypeScript. The
    // loader is named by its resolved URL: a bare "tsx" would be looked up from the process's
    // working directory, and a node started outside the package would fail to publish.
    const typescript = extname(fileURLToPath(import.meta.url)) === ".ts";
    this.#worker = new Worker(url, { execArgv: typescript ? ["--import", import.meta.resolve("tsx")] : [] });
    this.#worker.unref();
    this.#worker.on("message", (reply: Reply) => {
      const pending = this.#pending.get(reply.id);
      if (pending === undefined) return;
      this.#settled(reply.id);
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(new WorkerRequestError(reply.message));
    });
    const fail = (error: Error) => {
      if (this.#failed) return;
      this.#failed = error;
      onFail();
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
      this.#worker.unref();
    };
    this.#worker.on("error", fail);
    this.#worker.on("exit", (code) => fail(new Error(`worker ${url.pathname} exited with code ${code}`)));
  }

  /** Sends a request; resolves to the worker's answer. `transfer` moves buffers instead of cloning them. */
  call<T>(request: unknown, transfer: Transferable[] = []): Promise<T> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#nextId++;
    const answer = new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    });
    if (this.#pending.size === 1) this.#worker.ref();
    try {
      this.#worker.postMessage({ id, request } satisfies Envelope, transfer);
    } catch (error) {
      this.#settled(id); // never sent: nothing will answer it
      return Promise.reject(error as Error);
    }
    return answer;
  }

  #settled(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker.unref();
  }
}

/** The URL of module `name` next to `meta` (an import.meta.url), with the same extension. */
export function siblingModule(meta: string, name: string): URL {
  return new URL(`./${name}${extname(fileURLToPath(meta))}`, meta);
}

/** A lazily started worker for `url`, shared by the process and replaced after it fails. */
export function sharedWorker(url: URL): () => WorkerThread {
  let thread: WorkerThread | undefined;
  return () => (thread ??= new WorkerThread(url, () => (thread = undefined)));
}

/**
 * Worker side: answers each request with what `handle` returns, or with its error's message.
 * `transferOf` names the buffers of an answer to move rather than clone.
 */
export function serveRequests<Q, A>(handle: (request: Q) => A, transferOf: (answer: A) => Transferable[] = () => []): void {
  const port = parentPort;
  if (port === null) throw new Error("serveRequests runs in a worker thread");
  port.on("message", ({ id, request }: Envelope) => {
    let reply: Reply;
    let transfer: Transferable[] = [];
    try {
      const value = handle(request as Q);
      reply = { id, ok: true, value };
      transfer = transferOf(value);
    } catch (error) {
      reply = { id, ok: false, message: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(reply, transfer);
  });
}
