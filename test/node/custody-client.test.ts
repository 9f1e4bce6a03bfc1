import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { callCustodian, CustodianUnavailableError } from "../../node/custody/client.js";
import { CustodyRefusedError } from "../../node/custody/errors.js";

/** The custodian client against a plain node:http server on 127.0.0.1 standing in for a custodian's answers. */
describe("custody client (callCustodian over node:http)", () => {
  let server: Server;
  let url: string;
  let connections = 0;
  const received: unknown[] = [];
  before(async () => {
    server = createServer((req, res) => {
      let text = "";
      req.setEncoding("utf8");
      req.on("data", (part: string) => (text += part));
      req.on("end", () => {
        received.push(JSON.parse(text));
        const answer = (status: number, body: string) => res.writeHead(status, { "content-type": "application/json" }).end(body);
        if (req.url === "/v1/ok") answer(200, JSON.stringify({ echo: JSON.parse(text) }));
        else if (req.url === "/v1/refused") answer(403, JSON.stringify({ error: { code: "BAD_SIGNATURE", message: "not signed by the ticket's recipient key" } }));
        else if (req.url === "/v1/huge") answer(200, JSON.stringify({ pad: "x".repeat(100_000) }));
        else if (req.url === "/v1/text") answer(200, "not json");
        else if (req.url === "/v1/redirect") res.writeHead(307, { location: "/v1/ok" }).end();
        // /v1/silent: never answers
      });
    });
    server.on("connection", () => connections++);
    server.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const echo = z.object({ echo: z.object({ n: z.number() }) });
  const call = (path: string, schema: z.ZodTypeAny = echo, ms = 5_000) => callCustodian(url, path, { n: 1 }, schema, AbortSignal.timeout(ms));
  const unavailable = (reason: RegExp) => (e: unknown) => e instanceof CustodianUnavailableError && reason.test(e.message);

  it("posts JSON and parses the answer; calls reuse one kept-alive connection", async () => {
    const before = connections;
    for (let i = 0; i < 5; i++) assert.deepEqual(await call("v1/ok"), { echo: { n: 1 } });
    assert.equal(connections - before, 1);
    assert.deepEqual(received.at(-1), { n: 1 });
  });

  it("a refusal is the typed CustodyRefusedError; anything else is CustodianUnavailableError", async () => {
    await assert.rejects(call("v1/refused"), (e: unknown) => e instanceof CustodyRefusedError && e.code === "BAD_SIGNATURE");
    await assert.rejects(call("v1/text"), unavailable(/answered 200 without JSON/));
    await assert.rejects(call("v1/huge"), unavailable(/answered 200 without JSON/), "an answer over the bound is not read whole");
    await assert.rejects(call("v1/ok", z.object({ other: z.string() })), unavailable(/malformed body/));
    await assert.rejects(call("v1/redirect"), unavailable(/answered 307 without JSON/), "a redirect is not followed");
    await assert.rejects(call("v1/silent", echo, 300), unavailable(/no answer before the deadline/));
  });
});
