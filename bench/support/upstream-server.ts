// The upstream stub in a process of its own, so the benchmark client does not share an
// event loop with it. Answers Anthropic Messages plain or streamed (per request body).
//   bun bench/support/upstream-server.ts <port>
import { startUpstreamStub } from "../../test/support/upstream-stub.ts";

const stub = await startUpstreamStub({ port: Number(process.argv[2]) });
// Keep no per-request history: the benchmark sends tens of thousands of requests.
setInterval(() => {
  stub.requests.length = 0;
}, 1000);
