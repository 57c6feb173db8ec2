// What the Responses WebSocket relay adds. A recording WebSocket stand-in for the OpenAI
// API (test/support/responses-ws-upstream.ts, its own process) is called directly and
// through the compiled `headroom proxy` (its own process), alternating in every round:
//   1. one response over a WebSocket: the time to the first event (response.created, one
//      message each way) and to response.completed (13 events), direct vs through headroom;
//   2. the same response over HTTP SSE (POST /v1/responses, stream: true), direct vs
//      through headroom — the baseline the WebSocket relay is compared with;
//   3. `codex exec` (the real Codex CLI, when installed) wall time straight to the
//      stand-in vs through headroom, median of RUNS runs each (target <= 1.1x).
// Everything runs inside a loopback-only network namespace when `unshare -n` works (the
// script re-runs itself there), so Codex's own background traffic fails fast and the same
// way for both. Bounded: about 20 s.
//   bun bench/ws-relay.ts   (HEADROOM_BIN overrides dist/headroom; ROUNDS, RUNS, CODEX_BIN)
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BIN, fmt, freePort, killChildren, percentile, spawnChild, waitReady } from "./support/common.ts";

const ROUNDS = Number(process.env.ROUNDS ?? 400);
const RUNS = Number(process.env.RUNS ?? 5);
const WARMUP = 50;
const CODEX = process.env.CODEX_BIN ?? "/opt/headroom-clients/codex/node_modules/.bin/codex";
const REPLY = "Hello from the WebSocket stand-in, relayed.";

// ---------------------------------------------------------------- the stand-in's own process
if (process.argv[2] === "--serve-upstream") {
  const { startResponsesWsUpstream } = await import("../test/support/responses-ws-upstream.ts");
  const up = await startResponsesWsUpstream({ port: Number(process.argv[3]), reply: { text: REPLY } });
  // Records grow with every frame; a benchmark needs none of them.
  setInterval(() => up.reset(), 1000);
  await new Promise(() => {});
}

// ---------------------------------------------------------------- into a namespace of its own
if (process.argv[2] !== "--in-netns" && process.platform === "linux" && Bun.which("unshare") && Bun.which("ip")) {
  const probe = Bun.spawnSync(["unshare", "-n", "sh", "-c", "ip link set lo up"]);
  if (probe.exitCode === 0) {
    const self = resolve(import.meta.path);
    const p = Bun.spawn(["unshare", "-n", "sh", "-c", `ip link set lo up && exec "${process.execPath}" "${self}" --in-netns`], { stdio: ["inherit", "inherit", "inherit"], env: process.env });
    process.exit(await p.exited);
  }
  console.log("(unshare -n is not available: running on the host's network)");
}

const upPort = freePort();
const hrPort = freePort();
const upstream = `http://127.0.0.1:${upPort}`;
const headroom = `http://127.0.0.1:${hrPort}`;
const home = mkdtempSync(join(tmpdir(), "headroom-bench-ws-"));

spawnChild([process.execPath, resolve(import.meta.path), "--serve-upstream", String(upPort)]);
spawnChild([BIN, "proxy", "--port", String(hrPort), "--openai-api-url", upstream, "--log-level", "error"], {
  HOME: home, HEADROOM_WORKSPACE_DIR: join(home, "ws"), HEADROOM_TELEMETRY: "0",
});
await waitReady(`${upstream}/v1/models`);
await waitReady(`${headroom}/readyz`);

const KEY = "sk-proj-bench-dummy";
const body = { model: "gpt-bench", input: [{ role: "user", content: [{ type: "input_text", text: "Say hello." }] }] };
const createFrame = JSON.stringify({ type: "response.create", ...body });

interface Sock {
  ws: WebSocket;
  /** Sends one response.create; resolves with the times to the first event and to response.completed. */
  round(): Promise<{ first: number; done: number }>;
}

async function socket(base: string): Promise<Sock> {
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}/v1/responses`, { headers: { authorization: `Bearer ${KEY}` } } as unknown as string[]);
  await new Promise<void>((res, rej) => {
    ws.onopen = () => res();
    ws.onerror = (e) => rej(new Error((e as ErrorEvent).message));
  });
  let onFrame: ((text: string) => void) | null = null;
  ws.onmessage = (e) => onFrame?.(e.data as string);
  return {
    ws,
    round: () =>
      new Promise((res) => {
        const t0 = performance.now();
        let first = -1;
        onFrame = (text) => {
          if (first < 0) first = performance.now() - t0;
          if (text.startsWith('{"type":"response.completed"')) {
            onFrame = null;
            res({ first, done: performance.now() - t0 });
          }
        };
        ws.send(createFrame);
      }),
  };
}

async function httpRound(base: string): Promise<{ first: number; done: number }> {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/responses`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` }, body: JSON.stringify({ ...body, stream: true }) });
  const reader = res.body!.getReader();
  let r = await reader.read();
  const first = performance.now() - t0;
  while (!r.done) r = await reader.read();
  if (res.status !== 200) throw new Error(`${base} answered ${res.status}`);
  return { first, done: performance.now() - t0 };
}

type Path = "ws-direct" | "ws-headroom" | "http-direct" | "http-headroom";
const PATHS: Path[] = ["ws-direct", "ws-headroom", "http-direct", "http-headroom"];
const samples: Record<Path, { first: number[]; done: number[] }> = Object.fromEntries(PATHS.map((p) => [p, { first: [], done: [] }])) as never;

const direct = await socket(upstream);
const relayed = await socket(headroom);
const run: Record<Path, () => Promise<{ first: number; done: number }>> = {
  "ws-direct": () => direct.round(),
  "ws-headroom": () => relayed.round(),
  "http-direct": () => httpRound(upstream),
  "http-headroom": () => httpRound(headroom),
};
for (let i = 0; i < WARMUP; i++) for (const p of PATHS) await run[p]();
for (let i = 0; i < ROUNDS; i++) {
  // A different order each round, so no path always follows another.
  const order = i % 2 === 0 ? PATHS : [...PATHS].reverse();
  for (const p of order) {
    const t = await run[p]();
    samples[p].first.push(t.first);
    samples[p].done.push(t.done);
  }
}
direct.ws.close();
relayed.ws.close();

const p50 = (p: Path, k: "first" | "done") => percentile(samples[p][k], 0.5);
console.log(`Responses WebSocket relay, ${ROUNDS} rounds (p50 ms; loopback; headroom with compression on)`);
console.log("path            first event   response.completed");
for (const p of PATHS) console.log(`${p.padEnd(15)} ${fmt(p50(p, "first")).padStart(11)}   ${fmt(p50(p, "done")).padStart(18)}`);
const wsAddedFirst = p50("ws-headroom", "first") - p50("ws-direct", "first");
const wsAddedDone = p50("ws-headroom", "done") - p50("ws-direct", "done");
const httpAddedFirst = p50("http-headroom", "first") - p50("http-direct", "first");
const httpAddedDone = p50("http-headroom", "done") - p50("http-direct", "done");
console.log(`added by headroom, per message (first event): WebSocket ${fmt(wsAddedFirst)} ms, HTTP ${fmt(httpAddedFirst)} ms`);
console.log(`added by headroom, whole response:            WebSocket ${fmt(wsAddedDone)} ms, HTTP ${fmt(httpAddedDone)} ms`);
console.log(`ratio WebSocket through headroom / direct:    ${fmt(p50("ws-headroom", "done") / p50("ws-direct", "done"), 2)}x (first event ${fmt(p50("ws-headroom", "first") / p50("ws-direct", "first"), 2)}x)`);
console.log(`ratio WebSocket / HTTP, both through headroom: ${fmt(p50("ws-headroom", "done") / p50("http-headroom", "done"), 2)}x`);

// ---------------------------------------------------------------- codex exec
if (existsSync(CODEX)) {
  const codexHome = join(home, "codex");
  mkdirSync(codexHome, { recursive: true });
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, CODEX_HOME: codexHome, NO_COLOR: "1", TERM: "dumb" };
  const login = Bun.spawnSync([CODEX, "login", "--with-api-key"], { env, stdin: Buffer.from(`${KEY}\n`) });
  if (login.exitCode !== 0) throw new Error(`codex login failed: ${login.stderr}`);
  const provider = (name: string, base: string) =>
    `[model_providers.${name}]\nname = "${name}"\nbase_url = "${base}/v1"\nwire_api = "responses"\nrequires_openai_auth = true\nsupports_websockets = true\n`;
  writeFileSync(join(codexHome, "config.toml"), `model = "gpt-bench"\ncheck_for_update_on_startup = false\n\n[analytics]\nenabled = false\n\n${provider("direct", upstream)}\n${provider("headroom", headroom)}`);
  const execOnce = (name: string): number => {
    const t0 = performance.now();
    const r = Bun.spawnSync([CODEX, "exec", "--skip-git-repo-check", "-c", `model_provider="${name}"`, "Say hello."], { env, cwd: home, stdin: "ignore" });
    const ms = performance.now() - t0;
    const out = `${r.stdout}${r.stderr}`;
    if (r.exitCode !== 0 || !out.includes(REPLY)) throw new Error(`codex exec via ${name} failed (exit ${r.exitCode}): ${out.slice(-800)}`);
    if (/Reconnecting|Falling back/.test(out)) throw new Error(`codex exec via ${name} retried its transport: ${out.slice(-800)}`);
    return ms;
  };
  execOnce("direct");
  execOnce("headroom");
  const times: Record<string, number[]> = { direct: [], headroom: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const name of i % 2 === 0 ? ["direct", "headroom"] : ["headroom", "direct"]) times[name]!.push(execOnce(name));
  }
  const med = (xs: number[]) => percentile(xs, 0.5);
  console.log(`codex exec wall time, median of ${RUNS} (ms): direct ${fmt(med(times.direct!), 0)}, through headroom ${fmt(med(times.headroom!), 0)}; ratio ${fmt(med(times.headroom!) / med(times.direct!), 2)}x (target <= 1.10x)`);
  console.log(`  runs direct:   ${times.direct!.map((t) => t.toFixed(0)).join(" ")}`);
  console.log(`  runs headroom: ${times.headroom!.map((t) => t.toFixed(0)).join(" ")}`);
} else {
  console.log(`codex exec: skipped (${CODEX} not installed)`);
}

killChildren();
rmSync(home, { recursive: true, force: true });
process.exit(0);
