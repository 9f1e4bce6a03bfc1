/**
 * The storage tree of a publish, hashed on a worker thread. One worker per process serves every
 * session; it is started on first use and does not keep the process alive while idle.
 * Chunks are copied into 4 MiB batches that are transferred, not cloned; at most
 * MAX_IN_FLIGHT batches wait on the worker, so a slow hash applies backpressure instead of
 * buffering the model.
 */
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Hex } from "viem";
import { StorageTreeInputError } from "./storage-tree.js";

const BATCH_SIZE = 4 << 20;
const MAX_IN_FLIGHT = 4;

export type TreeRequest =
  | { type: "data"; session: number; buffer: ArrayBuffer; length: number }
  | { type: "finish"; session: number }
  | { type: "abort"; session: number };
export type TreeReply =
  | { type: "ack"; session: number }
  | { type: "root"; session: number; root: Hex; segmentCount: number }
  | { type: "error"; session: number; message: string };

interface Listener {
  onAck(): void;
  onRoot(root: { root: Hex; segmentCount: number }): void;
  onError(error: Error): void;
}

class TreeThread {
  readonly #worker: Worker;
  readonly #listeners = new Map<number, Listener>();
  #nextSession = 1;
  #failed: Error | undefined;

  constructor(onExit: () => void) {
    // The worker runs the TypeScript sources through tsx, as the main thread does.
    const self = fileURLToPath(import.meta.url);
    const url = new URL(`./storage-tree-worker${extname(self)}`, import.meta.url);
    const execArgv = extname(self) === ".ts" ? ["--import", "tsx"] : [];
    this.#worker = new Worker(url, { execArgv });
    this.#worker.unref();
    this.#worker.on("message", (reply: TreeReply) => {
      const listener = this.#listeners.get(reply.session);
      if (listener === undefined) return;
      if (reply.type === "ack") listener.onAck();
      else if (reply.type === "root") listener.onRoot({ root: reply.root, segmentCount: reply.segmentCount });
      else listener.onError(new StorageTreeInputError(reply.message));
    });
    const fail = (error: Error) => {
      this.#failed = error;
      for (const listener of this.#listeners.values()) listener.onError(error);
      this.#listeners.clear();
      onExit();
    };
    this.#worker.on("error", fail);
    this.#worker.on("exit", (code) => fail(new Error(`storage tree worker exited with code ${code}`)));
  }

  open(listener: Listener): number {
    if (this.#failed) throw this.#failed;
    const session = this.#nextSession++;
    if (this.#listeners.size === 0) this.#worker.ref();
    this.#listeners.set(session, listener);
    return session;
  }

  close(session: number): void {
    this.#listeners.delete(session);
    if (this.#listeners.size === 0) this.#worker.unref();
  }

  post(request: TreeRequest): void {
    if (request.type === "data") this.#worker.postMessage(request, [request.buffer]);
    else this.#worker.postMessage(request);
  }
}

let thread: TreeThread | undefined;
const sharedThread = () => (thread ??= new TreeThread(() => (thread = undefined)));

/** One stream's storage tree, hashed off the main thread. */
export class StorageTreeSession {
  readonly #thread: TreeThread;
  readonly #session: number;
  // Its own ArrayBuffer (never a pool slice), so it can be transferred whole.
  #batch = new Uint8Array(BATCH_SIZE);
  #batchLength = 0;
  #inFlight = 0;
  #drained: (() => void) | undefined;
  #result: Promise<{ root: Hex; segmentCount: number }>;
  #error: Error | undefined;
  #closed = false;

  constructor() {
    this.#thread = sharedThread();
    let settle!: { resolve: (r: { root: Hex; segmentCount: number }) => void; reject: (e: Error) => void };
    this.#result = new Promise((resolve, reject) => (settle = { resolve, reject }));
    this.#result.catch(() => {}); // surfaced by update() or root()
    this.#session = this.#thread.open({
      onAck: () => {
        this.#inFlight--;
        this.#drained?.();
      },
      onRoot: (root) => settle.resolve(root),
      onError: (error) => {
        this.#error = error;
        this.#drained?.();
        settle.reject(error);
      },
    });
  }

  /** Feeds the next bytes; resolves once the worker has room for more. */
  async update(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(BATCH_SIZE - this.#batchLength, chunk.length - offset);
      this.#batch.set(chunk.subarray(offset, offset + take), this.#batchLength);
      this.#batchLength += take;
      offset += take;
      if (this.#batchLength === BATCH_SIZE) await this.#flush();
    }
  }

  async #flush(): Promise<void> {
    while (this.#inFlight >= MAX_IN_FLIGHT && this.#error === undefined) {
      await new Promise<void>((resolve) => (this.#drained = resolve));
    }
    if (this.#error) throw this.#error;
    if (this.#batchLength === 0) return;
    this.#thread.post({ type: "data", session: this.#session, buffer: this.#batch.buffer, length: this.#batchLength });
    this.#inFlight++;
    this.#batch = new Uint8Array(BATCH_SIZE);
    this.#batchLength = 0;
  }

  /** The root over everything fed; the session is closed after this. */
  async root(): Promise<{ root: Hex; segmentCount: number }> {
    try {
      await this.#flush();
      this.#thread.post({ type: "finish", session: this.#session });
      return await this.#result;
    } finally {
      this.#close();
    }
  }

  /** Drops the session (publish failed or was aborted). */
  abort(): void {
    if (this.#closed) return;
    this.#thread.post({ type: "abort", session: this.#session });
    this.#close();
  }

  #close(): void {
    this.#closed = true;
    this.#thread.close(this.#session);
  }
}
