/** GET /v1/pins, POST /v1/pins/:cid (pins recursively, fetching from peers), DELETE /v1/pins/:cid. */
import * as dagJson from "@ipld/dag-json";
import type { FastifyInstance } from "fastify";
import { CID } from "multiformats/cid";
import { decodeSignedManifest, isDirectoryManifest } from "../models/manifest.js";
import { localBlockstore, readLocal, type LocalBlockstore } from "../storage/local-blockstore.js";
import { leafAwareWalker } from "../storage/pin-walker.js";
import { fetchDag, listPins, removePin, type PinInfo } from "../storage/pins.js";
import { clientGone, type ApiContext } from "./context.js";
import { ApiError } from "./errors.js";
import { cidParam, parseInput, readQuery } from "./schemas.js";
import { z } from "zod";

const noQuery = z.object({}).strict();

export function pinRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get("/v1/pins", async (request, reply) => {
    parseInput(noQuery, request.query, "query");
    const signal = clientGone(reply);
    const store = localBlockstore(ctx.peer.helia);
    const pins = await listPins(ctx.peer, signal);
    const described: PinnedModelInfo[] = [];
    for (const pin of pins) described.push(await describePin(store, pin, signal));
    return { pins: described };
  });

  // One pin walk per CID at a time: concurrent requests for it wait for that one, then look again.
  const adding = new Map<string, Promise<boolean>>();
  app.post("/v1/pins/:cid", async (request, reply) => {
    const { cid } = parseInput(cidParam, request.params, "path");
    const query = parseInput(readQuery.omit({ offline: true }), request.query, "query");
    const ms = query.timeoutMs ?? ctx.fetchTimeoutMs;
    const signal = clientGone(reply);
    const key = cid.toString();
    for (let running = adding.get(key); running !== undefined; running = adding.get(key)) {
      await running.catch(() => {}); // its failure is its own request's: this one tries afresh
    }
    const work = addPin(ctx, cid, ms, signal);
    adding.set(key, work);
    try {
      const added = await work;
      if (added) reply.code(201);
      return { cid: key, pinned: true, added };
    } finally {
      adding.delete(key);
    }
  });

  app.delete("/v1/pins/:cid", async (request, reply) => {
    const { cid } = parseInput(cidParam, request.params, "path");
    parseInput(noQuery, request.query, "query");
    const signal = clientGone(reply);
    const notPinned = () => new ApiError(404, "PIN_NOT_FOUND", `${cid} is not pinned (a block inside a pinned DAG is unpinned with its root)`);
    // A pin's root, not just a pinned block: the content of a published model is pinned through
    // its manifest, and Helia can only remove a pin by its root (anything else was a 500).
    if (!(await isPinRoot(ctx, cid, signal))) throw notPinned();
    try {
      await removePin(ctx.peer, cid, signal);
    } catch (error) {
      if ((error as Error)?.name === "NotFoundError" && !(await isPinRoot(ctx, cid, signal))) throw notPinned(); // removed meanwhile
      throw error;
    }
    return { cid: cid.toString(), pinned: false };
  });
}

/** Whether `cid` is the root of a pin (Helia's isPinned is also true for every block under one). */
async function isPinRoot(ctx: ApiContext, cid: CID, signal: AbortSignal): Promise<boolean> {
  try {
    await ctx.peer.helia.pins.get(cid, { signal });
    return true;
  } catch (error) {
    if ((error as Error)?.name === "NotFoundError") return false;
    throw error;
  }
}

/** A pin, and what model it is when its root is a manifest the node holds (name, version, sizes). */
export interface PinnedModelInfo extends PinInfo {
  model?: {
    name?: string;
    version: number;
    owner: string;
    kind: "file" | "directory";
    plaintextSize: number;
    sealedSize: number;
    /** Directory models: how many files. */
    files?: number;
  };
}

/** Reads only the local root block: listing never reaches a peer. Not a manifest (or unreadable): the pin as it is. */
async function describePin(store: LocalBlockstore, pin: PinInfo, signal: AbortSignal): Promise<PinnedModelInfo> {
  const cid = CID.parse(pin.cid);
  if (cid.code !== dagJson.code) return pin;
  try {
    const bytes = await readLocal(store, cid, signal);
    if (bytes === undefined) return pin;
    const { manifest } = await decodeSignedManifest(bytes);
    return {
      ...pin,
      model: {
        ...(manifest.name === undefined ? {} : { name: manifest.name }),
        version: manifest.version,
        owner: manifest.owner,
        kind: isDirectoryManifest(manifest) ? "directory" : "file",
        plaintextSize: manifest.plaintextSize,
        sealedSize: manifest.sealedSize,
        ...(isDirectoryManifest(manifest) ? { files: manifest.files.length } : {}),
      },
    };
  } catch {
    if (signal.aborted) throw signal.reason;
    return pin;
  }
}

/** Pins `cid` and all below it, fetching what is missing; false when it already was a pin. */
async function addPin(ctx: ApiContext, cid: CID, idleTimeoutMs: number, signal: AbortSignal): Promise<boolean> {
  // Already a pin of its own (a block that is only inside another pin gets its own pin here).
  if (await isPinRoot(ctx, cid, signal)) return false;
  // An idle timeout, like fetch: a large DAG may take long, but must keep moving. The blocks
  // come first, many at once; the pin walk is then local. Our walker, as addPin/removePin use:
  // Helia's default one rethrows a failed block fetch through a promise nobody awaits.
  await fetchDag(ctx.peer, cid, signal, { idleTimeoutMs });
  try {
    for await (const _ of ctx.peer.helia.pins.add(cid, { signal, walker: leafAwareWalker(), metadata: { source: "api" } })) {
      // each yielded CID is one block now pinned
    }
  } catch (error) {
    // Pinned meanwhile by another path (a fetch with --pin): the same as already pinned.
    if ((error as Error)?.name === "AlreadyPinnedError") return false;
    throw error;
  }
  return true;
}
