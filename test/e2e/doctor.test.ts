// `headroom doctor` against real deployments: a systemd user service (own HOME and
// XDG_RUNTIME_DIR) and a persistent-docker container. What it must find, each with its
// fix: a stopped deployment, a managed edit the user undid, a state file other users can
// read, a runtime older than the binary (a second build with an older version), a shell
// variable pointing at a port where nothing answers; keys by name, never by value; and
// exit 0 only when there is nothing to fix.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { containersNamed, dockerSkipReason, ensureTestImage, removeContainers, TEST_IMAGE } from "../support/docker.ts";
import { repoRoot } from "../support/bin.ts";
import { type UserManager, startUserManager, systemdSkipReason } from "../support/systemd.ts";
import { freePort, health, hr, killAll, runtimePids } from "./install-support.ts";

interface Finding {
  check: string;
  status: "ok" | "info" | "warn" | "fail";
  profile?: string;
  message: string;
  fix?: string;
}
interface Report {
  ok: boolean;
  code: number;
  version: string;
  findings: Finding[];
  summary: { fail: number; warn: number };
}

const SECRET = "sk-doctor-secret-value";

async function doctor(env: Record<string, string | undefined>, args: string[] = []): Promise<{ code: number; report: Report; stdout: string }> {
  const r = await hr(["doctor", "--json", ...args], env);
  expect(r.stderr).toBe("");
  const report = JSON.parse(r.stdout) as Report;
  // Exit 0 exactly when nothing needs fixing.
  const problems = report.findings.filter((f) => f.status === "warn" || f.status === "fail");
  expect(r.code).toBe(problems.length ? 1 : 0);
  expect(report.ok).toBe(problems.length === 0);
  expect(report.summary).toEqual({ fail: problems.filter((f) => f.status === "fail").length, warn: problems.filter((f) => f.status === "warn").length });
  for (const p of problems) expect(p.fix, p.message).toBeTruthy();
  return { code: r.code, report, stdout: r.stdout };
}

const find = (r: Report, check: string, status?: Finding["status"]) => r.findings.filter((f) => f.check === check && (!status || f.status === status));

describe.skipIf(systemdSkipReason() !== null)("doctor with a systemd user service", () => {
  let sd: UserManager;
  let env: Record<string, string | undefined>;
  let port: number;
  let ws: string;
  let oldBin: string;
  const profile = "doc";
  const base = () => ["--profile", profile, "--providers", "manual", "--target", "claude"];

  beforeAll(async () => {
    sd = await startUserManager({ prefix: "headroom-doctor-" });
    ws = join(sd.home, ".headroom");
    env = { ...sd.env, HEADROOM_BIN: undefined, HEADROOM_PORT: undefined, ANTHROPIC_BASE_URL: undefined, OPENAI_BASE_URL: undefined, OPENAI_API_BASE: undefined, COPILOT_PROVIDER_BASE_URL: undefined, ANTHROPIC_API_KEY: SECRET, OPENAI_API_KEY: undefined };
    port = await freePort();
    // The same source built as an older version, for the version-skew check.
    oldBin = join(sd.home, "headroom-0.0.1");
    const build = { version: "0.0.1", commit: "old", date: "", target: `${process.platform}-${process.arch}` };
    const b = Bun.spawnSync([process.execPath, "build", "--compile", "--format=esm", "--splitting", `--define=HEADROOM_BUILD=${JSON.stringify(build)}`, join(repoRoot, "src/main.ts"), "--outfile", oldBin], { cwd: repoRoot, stdout: "pipe", stderr: "pipe" });
    if (b.exitCode !== 0) throw new Error(`could not build the old binary: ${b.stderr}`);
  }, 120_000);

  afterAll(async () => {
    if (!sd) return;
    const left = existsSync(join(ws, "deploy")) ? readdirSync(join(ws, "deploy")) : [];
    for (const p of left) await hr(["install", "remove", "--profile", p], env).catch(() => {});
    killAll(runtimePids(profile, ws));
    await sd.stop();
  }, 60_000);

  test("nothing installed and nothing pointing anywhere: all is well, exit 0; keys by name only", async () => {
    const { code, report, stdout } = await doctor(env);
    expect(code).toBe(0);
    expect(find(report, "profile")[0]?.message).toContain("no deployment profiles");
    expect(find(report, "keys")[0]?.message).toContain("set in this shell: ANTHROPIC_API_KEY");
    expect(stdout).not.toContain(SECRET);
    const text = await hr(["doctor"], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("All is well.");
    expect(text.stdout).not.toContain(SECRET);
  });

  test("a healthy service: health, version, wiring and file modes all ok", async () => {
    const a = await hr(["install", "apply", ...base(), "--port", String(port), "--env", `ANTHROPIC_API_KEY=${SECRET}`], env);
    expect(a.code).toBe(0);
    const { report, stdout } = await doctor(env);
    expect(find(report, "profile", "ok")[0]?.message).toContain(`healthy on port ${port}`);
    expect(find(report, "version", "ok")[0]?.message).toContain(`runs this version (${report.version})`);
    const wiring = find(report, "wiring", "ok");
    expect(wiring.length).toBeGreaterThan(0);
    expect(wiring[0]!.message).toContain(`-> http://127.0.0.1:${port}, healthy`);
    expect(find(report, "files", "ok")[0]?.message).toContain("is private");
    // The manifest's --env names are listed; the value is in the 0600 manifest only.
    expect(find(report, "keys").some((f) => f.message.includes("--env names kept in the manifest: ANTHROPIC_API_KEY"))).toBe(true);
    expect(stdout).not.toContain(SECRET);
    // Lingering is a warning with its fix where logind cannot say it is on; an ok line where it is.
    const linger = find(report, "supervisor");
    expect(linger.length).toBe(1);
    if (linger[0]!.status === "warn") expect(linger[0]!.fix).toContain("enable-linger");
  }, 60_000);

  test("this shell's base URL: ok for the profile's port, a failure with a fix for a port where nothing answers", async () => {
    const dead = await freePort();
    const { code, report } = await doctor({ ...env, ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}`, OPENAI_BASE_URL: `http://127.0.0.1:${dead}/v1` });
    expect(code).toBe(1);
    expect(find(report, "env", "ok")[0]?.message).toContain(`ANTHROPIC_BASE_URL in this shell points at port ${port} (profile "${profile}")`);
    const bad = find(report, "env", "fail")[0]!;
    expect(bad.message).toContain(`OPENAI_BASE_URL in this shell points at http://127.0.0.1:${dead}/v1, where no headroom proxy answers`);
    expect(bad.fix).toContain(`headroom proxy --port ${dead}`);
  }, 30_000);

  test("a state file other users can read: a failure with the chmod that fixes it", async () => {
    const manifest = join(ws, "deploy", profile, "manifest.json");
    chmodSync(manifest, 0o644);
    try {
      const { code, report } = await doctor(env);
      expect(code).toBe(1);
      const f = find(report, "files", "fail");
      expect(f.map((x) => x.fix)).toEqual([`chmod 600 ${manifest}`]);
      expect(f[0]!.message).toBe(`${manifest} is 0644; other users can read it`);
    } finally {
      chmodSync(manifest, 0o600);
    }
    expect(statSync(manifest).mode & 0o777).toBe(0o600);
  }, 30_000);

  test("the user took headroom's block out of a shell file: a wiring warning whose fix re-applies", async () => {
    const m = JSON.parse(readFileSync(join(ws, "deploy", profile, "manifest.json"), "utf8"));
    const rec = m.changes[0] as { path: string };
    const saved = readFileSync(rec.path, "utf8");
    writeFileSync(rec.path, saved.replace(/# >>> headroom persistent env >>>[\s\S]*# <<< headroom persistent env <<<\n?/, ""));
    try {
      const { code, report } = await doctor(env);
      expect(code).toBe(1);
      const w = find(report, "wiring", "warn");
      expect(w.some((f) => f.message.includes(rec.path))).toBe(true);
      expect(w[0]!.fix).toContain(`headroom install apply --profile ${profile}`);
    } finally {
      writeFileSync(rec.path, saved);
    }
  }, 30_000);

  test("stopped: a failure whose fix is install start; --profile narrows the report", async () => {
    expect((await hr(["install", "stop", "--profile", profile], env)).code).toBe(0);
    const { code, report } = await doctor(env, ["--profile", profile]);
    expect(code).toBe(1);
    const f = find(report, "profile", "fail")[0]!;
    expect(f.message).toStartWith("stopped");
    expect(f.fix).toBe(`headroom install start --profile ${profile}`);
    expect(find(report, "wiring", "fail")[0]?.message).toContain("where this profile is not healthy");
    const nope = await doctor(env, ["--profile", "nope"]);
    expect(nope.code).toBe(1);
    expect(find(nope.report, "profile", "fail")[0]?.fix).toBe("headroom install apply --profile nope");
    expect((await hr(["install", "start", "--profile", profile], env)).code).toBe(0);
  }, 60_000);

  test("a runtime older than this binary: a version warning whose fix records this headroom", async () => {
    const a = await hr(["install", "apply", ...base(), "--port", String(port)], { ...env, HEADROOM_BIN: oldBin });
    expect(a.code).toBe(0);
    expect((await health(port)) as unknown as { version?: string }).toMatchObject({ version: "0.0.1" });
    const { code, report } = await doctor(env);
    expect(code).toBe(1);
    const v = find(report, "version", "warn")[0]!;
    expect(v.message).toContain(`is headroom 0.0.1, older than this binary (${report.version})`);
    // Said once, as a version warning, not again as a profile problem.
    expect(report.findings.filter((f) => f.message.includes("headroom 0.0.1")).length).toBe(1);
    expect(v.fix).toContain(`headroom install apply --profile ${profile}`);
    expect(v.fix).toContain(oldBin);
    // Re-applied with this binary, the skew is gone.
    expect((await hr(["install", "apply", ...base(), "--port", String(port)], env)).code).toBe(0);
    expect(find((await doctor(env)).report, "version", "ok").length).toBe(1);
  }, 90_000);
});

describe.skipIf(dockerSkipReason() !== null)("doctor with a persistent-docker deployment", () => {
  let home: string;
  let env: Record<string, string | undefined>;
  let port: number;
  const profile = `dd${process.pid}`;

  beforeAll(async () => {
    await ensureTestImage();
    home = mkdtempSync("/tmp/headroom-doctor-dk-");
    mkdirSync(join(home, ".claude"));
    env = { ...process.env, HOME: home, HEADROOM_WORKSPACE_DIR: undefined, HEADROOM_CONFIG_DIR: undefined, XDG_CONFIG_HOME: undefined, HEADROOM_PORT: undefined, ANTHROPIC_BASE_URL: undefined, OPENAI_BASE_URL: undefined, OPENAI_API_BASE: undefined, COPILOT_PROVIDER_BASE_URL: undefined, ANTHROPIC_API_KEY: SECRET, OPENAI_API_KEY: undefined };
    port = await freePort();
  }, 180_000);

  afterAll(async () => {
    if (!home) return;
    await hr(["install", "remove", "--profile", profile], env).catch(() => {});
    await removeContainers(await containersNamed(`headroom-${profile}`));
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  test("healthy container, wiring in place, private files: all is well, exit 0", async () => {
    const a = await hr(["install", "apply", "--preset", "persistent-docker", "--profile", profile, "--providers", "manual", "--target", "claude", "--scope", "provider", "--image", TEST_IMAGE, "--port", String(port)], env);
    expect(a.code).toBe(0);
    const { code, report, stdout } = await doctor({ ...env, ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}` });
    expect(report.findings.filter((f) => f.status === "warn" || f.status === "fail")).toEqual([]);
    expect(code).toBe(0);
    expect(find(report, "profile", "ok")[0]?.message).toContain("runtime docker");
    expect(find(report, "wiring", "ok")[0]?.message).toContain(join(home, ".claude", "settings.json"));
    expect(find(report, "keys").some((f) => f.message.includes("ANTHROPIC_API_KEY") && f.message.includes("docker client"))).toBe(true);
    expect(stdout).not.toContain(SECRET);
  }, 120_000);
});
