/**
 * A TCP proxy on loopback that holds every chunk for `delayMs` in each direction, so a
 * connection through it has a round trip of 2 x delayMs (this kernel has no netem). Bandwidth is
 * not limited; a direction with more than 64 MiB queued stops reading until it drains.
 *   node --import tsx bench/io/delay-proxy.ts '{"target": "127.0.0.1:4501", "delayMs": 25}'
 * Prints {"event":"ready","port":N}; exits when stdin closes.
 */
import { connect, createServer, type Socket } from "node:net";
import { commands, emit } from "./child.js";

const { target, delayMs } = JSON.parse(process.argv[2]!) as { target: string; delayMs: number };
const [host, port] = target.split(":") as [string, string];
const HIGH_WATER = 64 << 20;

/** Copies `from` to `to`, each chunk `delayMs` late, in order. */
function delayed(from: Socket, to: Socket): void {
  let queued = 0;
  from.on("data", (chunk: Buffer) => {
    queued += chunk.length;
    if (queued > HIGH_WATER) from.pause();
    setTimeout(() => {
      queued -= chunk.length;
      if (!to.destroyed) to.write(chunk);
      if (queued < HIGH_WATER / 2 && from.isPaused()) from.resume();
    }, delayMs);
  });
  from.on("end", () => setTimeout(() => to.end(), delayMs));
  from.on("error", () => to.destroy());
  from.on("close", () => setTimeout(() => to.destroy(), delayMs));
}

const server = createServer((client) => {
  client.setNoDelay(true);
  const upstream = connect({ host, port: Number(port) });
  upstream.setNoDelay(true);
  delayed(client, upstream);
  delayed(upstream, client);
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  emit("ready", { port: typeof address === "object" && address !== null ? address.port : 0 });
});
await commands(() => {});
server.close();
process.exit(0);
