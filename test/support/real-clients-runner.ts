// Runs inside a loopback-only network namespace (started by runInNetns in
// real-clients.ts; see that file for the whole picture): brings up the recording upstream
// (upstream-stub.ts) and any extra stand-ins, optionally a systemd user manager and a
// `headroom proxy`, runs the steps one after another, and writes everything to the result
// file: the requests the upstream recorded (tagged with the step that was running), each
// step's stdout, stderr, exit code and wall time, and the proxy's log.
//
//   bun test/support/real-clients-runner.ts <spec.json>
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { processesWithHome } from "./systemd.ts";
import { startUpstreamStub, type Reply } from "./upstream-stub.ts";
import { snapshotPaths, type NetnsResult, type NetnsSpec, type RecordedJson, type StepResult } from "./real-clients.ts";

const specPath = process.argv[2];
if (!specPath) throw new Error("usage: real-clients-runner.ts <spec.json>");
const spec = JSON.parse(readFileSync(specPath, "utf8")) as NetnsSpec;

const result: NetnsResult = { ok: false, upstream: { url: "", requests: [] }, steps: [], servers: {}, proxyLog: "", systemdLog: "" };
let currentStep = "(setup)";
const cleanups: Array<() => Promise<void> | void> = [];

function save(): void {
  writeFileSync(spec.resultPath, JSON.stringify(result, null, 1));
}

async function runStep(step: Extract<NetnsSpec["steps"][number], { argv: string[] }>): Promise<StepResult> {
  const env: Record<string, string> = { ...spec.env };
  for (const [k, v] of Object.entries(step.env ?? {})) {
    if (v === null) delete env[k];
    else env[k] = v;
  }
  const t0 = performance.now();
  const proc = Bun.spawn(step.argv, {
    env,
    cwd: step.cwd ?? spec.cwd ?? spec.home,
    stdin: step.stdin !== undefined ? new TextEncoder().encode(step.stdin) : "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: step.timeoutMs ?? 60_000,
    killSignal: "SIGKILL",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { name: step.name, argv: step.argv, code, signal: proc.signalCode ? String(proc.signalCode) : null, stdout, stderr, ms: Math.round(performance.now() - t0) };
}

async function waitReady(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(500) });
      if (r.ok) return true;
    } catch {}
    await Bun.sleep(50);
  }
  return false;
}

const SYSTEMD_BIN = ["/lib/systemd/systemd", "/usr/lib/systemd/systemd"].find((p) => existsSync(p));

/**
 * A systemd user manager with the steps' HOME (so it reads the units `install apply`
 * writes to $HOME/.config/systemd/user) and a runtime folder outside HOME. It runs in
 * this namespace, so the proxy it supervises sees only loopback too.
 */
async function startSystemd(): Promise<void> {
  if (!SYSTEMD_BIN) throw new Error("systemd is not installed (no /lib/systemd/systemd)");
  mkdirSync("/run/systemd/system", { recursive: true });
  const runtimeDir = mkdtempSync("/tmp/headroom-rc-run-");
  chmodSync(runtimeDir, 0o700);
  spec.env = { ...spec.env, XDG_RUNTIME_DIR: runtimeDir };
  const env = { ...spec.env };
  delete env.DBUS_SESSION_BUS_ADDRESS;
  const logPath = join(runtimeDir, "systemd.log");
  const proc = Bun.spawn(["setsid", SYSTEMD_BIN, "--user"], { env, cwd: spec.home, stdin: "ignore", stdout: Bun.file(logPath), stderr: Bun.file(logPath) });
  const systemctl = async (args: string[]) => {
    const p = Bun.spawn(["systemctl", "--user", ...args], { env, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: 30_000 });
    const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    return (out.trim() || err.trim());
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const state = await systemctl(["is-system-running"]);
    if (state === "running" || state === "degraded") break;
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`systemd --user did not come up (last answer: ${state || "none"})`);
    await Bun.sleep(50);
  }
  cleanups.push(async () => {
    await systemctl(["stop", "headroom-*"]).catch(() => "");
    await systemctl(["exit"]).catch(() => "");
    const until = Date.now() + 5_000;
    while (Date.now() < until && proc.exitCode === null) await Bun.sleep(50);
    if (proc.exitCode === null) proc.kill("SIGKILL");
    result.systemdLog = existsSync(logPath) ? readFileSync(logPath, "utf8").slice(-20_000) : "";
    rmSync(runtimeDir, { recursive: true, force: true });
  });
}

async function main(): Promise<void> {
  mkdirSync(spec.home, { recursive: true });
  const stub = await startUpstreamStub({ port: spec.upstreamPort, behavior: spec.reply, models: spec.upstreamModels });
  if (spec.replies) stub.enqueue(...(spec.replies as Reply[]));
  cleanups.push(() => stub.stop());
  result.upstream.url = stub.url;
  const seen = new Map<object, string>();
  const tag = () => {
    for (const r of stub.requests) if (!seen.has(r)) seen.set(r, currentStep);
  };
  const tagTimer = setInterval(tag, 5);
  cleanups.push(() => clearInterval(tagTimer));

  const servers: Array<{ name: string; handle: Record<string, unknown> }> = [];
  for (const s of spec.servers ?? []) {
    const mod = (await import(s.module)) as Record<string, (o: unknown) => Promise<Record<string, unknown>>>;
    const start = mod[s.export ?? "start"];
    if (typeof start !== "function") throw new Error(`${s.module} has no export ${s.export ?? "start"}`);
    const handle = await start({ port: s.port, ...(s.options as object) });
    servers.push({ name: s.name, handle });
    cleanups.push(async () => {
      if (typeof handle.stop === "function") await (handle.stop as () => Promise<void>)();
    });
  }

  if (spec.systemd) await startSystemd();

  let proxyLogPath: string | null = null;
  if (spec.proxy) {
    const port = spec.proxy.port ?? 8787;
    proxyLogPath = join(spec.home, ".headroom-test-proxy.log");
    const log = Bun.file(proxyLogPath);
    const proc = Bun.spawn([spec.headroomBin, "proxy", "--port", String(port), "--anthropic-api-url", stub.url, "--openai-api-url", stub.url, ...(spec.proxy.args ?? [])], {
      env: { ...spec.env, ...spec.proxy.env },
      cwd: spec.home,
      stdin: "ignore",
      stdout: log,
      stderr: log,
    });
    cleanups.push(async () => {
      proc.kill("SIGTERM");
      await Promise.race([proc.exited, Bun.sleep(3000)]);
      proc.kill("SIGKILL");
    });
    if (!(await waitReady(`http://127.0.0.1:${port}/readyz`, 15_000))) throw new Error("headroom proxy did not become ready");
  }

  for (const step of spec.steps) {
    currentStep = step.name;
    tag();
    if ("snapshot" in step) {
      result.steps.push({ name: step.name, argv: [], code: 0, signal: null, stdout: "", stderr: "", ms: 0, snapshot: snapshotPaths(step.snapshot) });
    } else {
      const r = await runStep(step);
      await Bun.sleep(20);
      tag();
      result.steps.push(r);
      save();
      if (r.code !== 0 && step.stopOnFailure) break;
    }
  }
  currentStep = "(teardown)";
  tag();
  result.upstream.requests = stub.requests.map(
    (r): RecordedJson => ({
      step: seen.get(r) ?? "(teardown)",
      method: r.method,
      path: r.path,
      query: r.query,
      headers: r.headers,
      text: r.text,
      json: r.json,
    }),
  );
  for (const s of servers) {
    const h = s.handle;
    if (typeof h.record === "function") result.servers[s.name] = (h.record as () => unknown)();
    else {
      const plain: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(h)) if (typeof v !== "function") plain[k] = v;
      result.servers[s.name] = JSON.parse(JSON.stringify(plain));
    }
  }
  if (proxyLogPath && existsSync(proxyLogPath)) result.proxyLog = readFileSync(proxyLogPath, "utf8").slice(-20_000);
  result.ok = true;
}

try {
  await main();
} catch (err) {
  result.error = (err as Error).stack ?? String(err);
} finally {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch {}
  }
  // Whatever a step left running with this HOME (an ephemeral proxy, a runtime) ends here.
  for (const pid of processesWithHome(spec.home)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  save();
  process.exit(0);
}
