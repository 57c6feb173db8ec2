// Runs applyWiring in its own process, for crash tests: argv[2] is a JSON WiringRequest,
// argv[3] the file the persist callback writes the records to (atomically, like a manifest).
// With argv[4] = N, the persist callback that comes right after file N was written (the
// write-ahead record of file N+1) prints "paused" and never returns, so the test can
// SIGKILL the process there, between two writes, without anything in the product.
import { applyWiring, type WiringRequest } from "../../src/install/wiring.ts";
import { atomicWrite } from "../../src/host/fs.ts";

const req = JSON.parse(process.argv[2]!) as WiringRequest;
const out = process.argv[3]!;
const stopAfter = process.argv[4] === undefined ? null : Number(process.argv[4]);

async function persist(records: unknown[]): Promise<void> {
  if (stopAfter !== null && records.length === stopAfter + 1) {
    process.stdout.write("paused\n");
    setInterval(() => {}, 1 << 30); // keeps the process alive until it is killed
    await new Promise(() => {});
  }
  atomicWrite(out, JSON.stringify(records));
}

await applyWiring(req, persist);
console.log("done");
