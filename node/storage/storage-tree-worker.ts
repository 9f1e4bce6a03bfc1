/**
 * Worker-thread body of storage-tree-thread.ts: hashes storage trees for any number of
 * concurrent sessions, so publish seals and imports on the main thread while this one hashes.
 */
import { parentPort } from "node:worker_threads";
import { StorageLeafHasher } from "./storage-tree.js";
import type { TreeReply, TreeRequest } from "./storage-tree-thread.js";

const port = parentPort;
if (port === null) throw new Error("storage-tree-worker runs as a worker thread");
const sessions = new Map<number, StorageLeafHasher>();

function reply(message: TreeReply): void {
  port!.postMessage(message);
}

port.on("message", (request: TreeRequest) => {
  const { session } = request;
  try {
    switch (request.type) {
      case "data": {
        let hasher = sessions.get(session);
        if (hasher === undefined) sessions.set(session, (hasher = new StorageLeafHasher()));
        hasher.update(new Uint8Array(request.buffer, 0, request.length));
        reply({ type: "ack", session });
        break;
      }
      case "finish": {
        const tree = (sessions.get(session) ?? new StorageLeafHasher()).finish();
        sessions.delete(session);
        reply({ type: "root", session, root: tree.root, segmentCount: tree.segmentCount });
        break;
      }
      case "abort":
        sessions.delete(session);
        break;
    }
  } catch (error) {
    sessions.delete(session);
    reply({ type: "error", session, message: error instanceof Error ? error.message : String(error) });
  }
});
