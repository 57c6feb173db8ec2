// Runs applyWiring in its own process, for crash tests: argv[2] is a JSON WiringRequest,
// argv[3] the file the persist callback writes the records to (atomically, like a manifest).
import { applyWiring, type WiringRequest } from "../../src/install/wiring.ts";
import { atomicWrite } from "../../src/host/fs.ts";

const req = JSON.parse(process.argv[2]!) as WiringRequest;
const out = process.argv[3]!;
await applyWiring(req, async (records) => atomicWrite(out, JSON.stringify(records)));
console.log("done");
