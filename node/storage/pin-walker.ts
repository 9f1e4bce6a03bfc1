/**
 * A graph walker for pinning sealed models without reading them back. Helia's walkers load
 * every block to find its links; a raw leaf (codec 0x55) has none, so for the leaves that are
 * already local we only check that they exist. This makes pinning a 1 GiB model cost a stat
 * per 1 MiB leaf instead of a 1 GiB read. Missing leaves are still fetched (pinning a model
 * from peers downloads it).
 */
import type { GraphNode, GraphWalker, GraphWalkerComponents, WalkOptions } from "@helia/interface";
import type { BlockView } from "multiformats/block/interface";
import { createUnsafe } from "multiformats/block";
import type { CID } from "multiformats/cid";

const RAW_CODE = 0x55;

async function load(components: GraphWalkerComponents, cid: CID, options: WalkOptions<unknown>): Promise<BlockView<unknown, number, number, 0 | 1>> {
  const parts: Uint8Array[] = [];
  for await (const part of components.blockstore.get(cid, options)) parts.push(part);
  const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  return createUnsafe({ cid, bytes, codec: await components.getCodec(cid.code) });
}

class LeafAwareWalker implements GraphWalker {
  readonly #components: GraphWalkerComponents;
  constructor(components: GraphWalkerComponents) {
    this.#components = components;
  }

  async *walk<T = unknown>(root: CID, options: WalkOptions<T> = {}): AsyncGenerator<GraphNode<T>> {
    const maxDepth = options.depth ?? Infinity;
    const stack: Array<{ cid: CID; path: CID[] }> = [{ cid: root, path: [root] }];
    while (stack.length > 0) {
      const { cid, path } = stack.pop()!;
      options.signal?.throwIfAborted();
      if (cid.code === RAW_CODE && (await this.#components.blockstore.has(cid, options))) {
        // Only the CID is used by pins; no bytes are read for a local leaf.
        yield { block: { cid } as unknown as BlockView<T>, depth: path.length - 1, path };
        continue;
      }
      const block = (await load(this.#components, cid, options)) as BlockView<T>;
      if (path.length - 1 < maxDepth) {
        const children = [...block.links()].map(([, child]) => child).reverse();
        for (const child of children) stack.push({ cid: child, path: [...path, child] });
      }
      yield { block, depth: path.length - 1, path };
    }
  }
}

export function leafAwareWalker(): (components: GraphWalkerComponents) => GraphWalker {
  return (components) => new LeafAwareWalker(components);
}
