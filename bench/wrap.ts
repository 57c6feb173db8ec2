// How long `headroom wrap <tool>` takes to hand over to the tool: from spawning wrap to
// the fake tool's first instruction (it writes bash's $EPOCHREALTIME first thing).
//   baseline     the fake tool spawned directly (the floor: process start of bash)
//   persistent   a healthy persistent deployment serves the port (target <= 50 ms median)
//   reused       a plain headroom proxy already answers on the port (target <= 50 ms median)
//   ephemeral    nothing on the port: wrap starts a session proxy (target <= 400 ms median)
// Loopback only, temp HOME, bounded counts. Binary: HEADROOM_BENCH_BIN, HEADROOM_TEST_BIN or dist/headroom.
//   bun bench/wrap.ts [--runs N]
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { freePort, makeWrapSandbox, writeManifest } from "../test/support/fake-tool.ts";

const bin = resolve(process.env.HEADROOM_BENCH_BIN ?? process.env.HEADROOM_TEST_BIN ?? join(import.meta.dir, "../dist/headroom"));
const runsArg = process.argv.indexOf("--runs");
const RUNS = Math.min(100, Math.max(3, runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20));

const now = () => performance.timeOrigin + performance.now();
const sb = makeWrapSandbox("headroom-bench-wrap-");
const env = { ...sb.env, FAKE_TOOL_ONLY_T0: "1" };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
function p90(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.9))]!;
}

/** Spawns argv, waits for it to exit, returns ms from spawn to the tool's first instruction. */
async function timeToTool(argv: string[], runEnv: Record<string, string>): Promise<number> {
  for (const f of readdirSync(sb.out)) rmSync(join(sb.out, f));
  const t = now();
  const proc = Bun.spawn(argv, { env: runEnv, stdout: "ignore", stderr: "pipe" });
  const code = await proc.exited;
  if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}: ${await new Response(proc.stderr).text()}`);
  const t0File = readdirSync(sb.out).find((f) => f.endsWith(".t0"));
  if (!t0File) throw new Error(`the tool did not run for ${argv.join(" ")}`);
  return Number(readFileSync(join(sb.out, t0File), "utf8").trim()) * 1000 - t;
}

async function waitReady(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.ok) return;
    } catch {}
    await Bun.sleep(20);
  }
  throw new Error(`no proxy became ready on ${port}`);
}

async function sample(name: string, argv: string[], runEnv: Record<string, string>, between?: () => Promise<void>): Promise<number[]> {
  await timeToTool(argv, runEnv); // warm the page cache
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    if (between) await between();
    xs.push(await timeToTool(argv, runEnv));
  }
  return xs;
}


const results: Record<string, number[]> = {};
const procs: { kill(sig?: number | NodeJS.Signals): void; exited: Promise<number> }[] = [];
try {
  results.baseline = await sample("baseline", [join(sb.binDir, "claude")], env);
  // The executable's own start-up floor: spawn to exit of `headroom --version`.
  const floor: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t = now();
    await Bun.spawn([bin, "--version"], { stdout: "ignore" }).exited;
    if (i > 0) floor.push(now() - t);
  }
  results["cli floor"] = floor;

  // A persistent deployment: a manifest for the port and a proxy that reports the profile.
  const pPort = await freePort();
  writeManifest(sb.workspace, "default", pPort, bin);
  const persistent = Bun.spawn([bin, "proxy", "--port", String(pPort)], {
    env: { ...sb.env, HEADROOM_DEPLOYMENT_PROFILE: "default", HEADROOM_DEPLOYMENT_PRESET: "persistent-service", HEADROOM_DEPLOYMENT_RUNTIME: "native", HEADROOM_DEPLOYMENT_SUPERVISOR: "service", HEADROOM_DEPLOYMENT_SCOPE: "user" },
    stdout: "ignore", stderr: "ignore",
  });
  procs.push(persistent);
  await waitReady(pPort);
  results.persistent = await sample("persistent", [bin, "wrap", "claude", "--port", String(pPort)], env);

  const rPort = await freePort();
  const reused = Bun.spawn([bin, "proxy", "--port", String(rPort)], { env: sb.env, stdout: "ignore", stderr: "ignore" });
  procs.push(reused);
  await waitReady(rPort);
  results.reused = await sample("reused", [bin, "wrap", "claude", "--port", String(rPort)], env);

  const ePort = await freePort();
  results.ephemeral = await sample("ephemeral", [bin, "wrap", "claude", "--port", String(ePort)], env);
} finally {
  for (const p of procs) {
    p.kill("SIGTERM");
    await p.exited;
  }
  await sb.cleanup();
}

const base = median(results.baseline!);
const targets: Record<string, number> = { persistent: 50, reused: 50, ephemeral: 400 };
console.log(`wrap start-up: spawn of \`headroom wrap claude\` to the tool's first instruction (${RUNS} runs each, ${bin})`);
console.log("scenario      median ms   p90 ms   x baseline   target");
for (const [name, xs] of Object.entries(results)) {
  const med = median(xs);
  const target = targets[name];
  const verdict = target === undefined ? "" : `<= ${target} ms ${med <= target ? "met" : "MISSED"}`;
  console.log(
    `${name.padEnd(12)} ${med.toFixed(1).padStart(9)} ${p90(xs).toFixed(1).padStart(8)} ${(med / base).toFixed(1).padStart(10)}x   ${verdict}`,
  );
}
