import assert from "node:assert/strict";
import { PeerFixture } from "./helpers.js";

describe("node: configured peers", function () {
  this.timeout(60_000);
  const fixture = new PeerFixture();
  after(() => fixture.cleanup());

  it("an unreachable peer is reported, not fatal, and redialled once it comes up", async () => {
    // Learn A's stable address (peer key persisted in its data dir), then take A down.
    const dirA = await fixture.dataDir();
    let a = await fixture.start({ dataDir: dirA });
    const address = a.addresses[0]!.toString();
    const port = address.split("/tcp/")[1]!.split("/")[0]!;
    await fixture.stop(a);

    const failures: string[] = [];
    const b = await fixture.start({ peers: [address, "not a multiaddr"], redialMs: 200, onDialError: (peer) => failures.push(peer) });
    assert.ok(failures.includes(address), "A's failed dial was reported");
    assert.ok(failures.includes("not a multiaddr"), "a malformed address is reported too");
    assert.equal(b.helia.libp2p.getConnections().length, 0);

    a = await fixture.start({ dataDir: dirA, listen: [`/ip4/127.0.0.1/tcp/${port}`] });
    const deadline = Date.now() + 10_000;
    while (b.helia.libp2p.getConnections().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(b.helia.libp2p.getConnections().map((c) => c.remotePeer.toString()), [a.peerId]);
  });
});
