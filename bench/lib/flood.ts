// A flooding licensee for bench/keys.ts, in its own process: POSTs one valid signed release
// request to every custodian as fast as they answer (`inFlight` at a time per custodian), from
// its own client address, until SIGTERM; then prints {"requests", "statuses"} as JSON.
// argv[2]: JSON {"endpoints": string[], "body": object, "inFlight": number, "localAddress": string}
import { Agent, request } from "node:http";

const { endpoints, body, inFlight, localAddress } = JSON.parse(process.argv[2]!) as {
  endpoints: string[]; body: unknown; inFlight: number; localAddress: string;
};
const payload = JSON.stringify(body);
const statuses: Record<string, number> = {};
let requests = 0;
let running = true;

function post(endpoint: string, agent: Agent): Promise<void> {
  const url = new URL("v1/custody/releases", endpoint.endsWith("/") ? endpoint : `${endpoint}/`);
  return new Promise((resolve) => {
    const req = request(url, { method: "POST", agent, localAddress, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } }, (res) => {
      statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
      res.resume();
      res.on("end", resolve);
      res.on("error", () => resolve());
    });
    req.on("error", () => {
      statuses.error = (statuses.error ?? 0) + 1;
      resolve();
    });
    req.end(payload);
  });
}

const loops = endpoints.flatMap((endpoint) => {
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
  return Array.from({ length: inFlight }, async () => {
    while (running) {
      requests++;
      await post(endpoint, agent);
    }
  });
});
process.on("SIGTERM", () => {
  running = false;
  void Promise.all(loops).then(() => {
    process.stdout.write(`${JSON.stringify({ requests, statuses })}\n`);
    process.exit(0);
  });
});
process.stdout.write("flooding\n");
