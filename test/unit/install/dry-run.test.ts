// `install apply --dry-run` through the compiled binary: the JSON form is exactly one
// object {manifest, files, commands, steps}; the text form shows diffs and commands; nothing
// is written either way.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isAbsoluteAnyOs } from "../../../src/install/dry-run.ts";
import { HIDDEN } from "../../../src/install/secrets.ts";
import { freePort, hr } from "../../e2e/install-support.ts";

const home = mkdtempSync("/tmp/headroom-dry-");
const env = { ...process.env, HOME: home, HEADROOM_WORKSPACE_DIR: join(home, ".headroom"), XDG_CONFIG_HOME: undefined, HEADROOM_BIN: undefined };

afterAll(() => rmSync(home, { recursive: true, force: true }));

describe("apply --dry-run", () => {
  test("--json prints exactly one object with manifest, files, commands and steps, and writes nothing", async () => {
    const port = await freePort();
    const r = await hr(["install", "apply", "--dry-run", "--json", "--providers", "manual", "--target", "claude", "--port", String(port), "--env", "K=v w"], env);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc).sort()).toEqual(["commands", "files", "manifest", "steps"]);
    // The supervisor's steps, in the order apply carries them out; their commands end the command list.
    for (const s of doc.steps) expect(typeof s.do).toBe("string");
    const runs = doc.steps.filter((s: { do: string }) => s.do === "run").map((s: { argv: string[] }) => s.argv);
    expect(doc.commands.slice(doc.commands.length - runs.length)).toEqual(runs);
    expect(doc.manifest).toMatchObject({ profile: "default", port, preset: "persistent-service", targets: ["claude"], env: { K: HIDDEN } });
    for (const f of doc.files) expect(Object.keys(f).sort()).toEqual(["content", "path"]);
    const unit = doc.files.find((f: { path: string }) => f.path.endsWith("/.config/systemd/user/headroom-default.service"));
    expect(unit.content).toContain("install agent run --profile default");
    for (const c of doc.commands) expect(c.every((w: unknown) => typeof w === "string")).toBe(true);
    expect(doc.commands).toContainEqual(["systemctl", "--user", "enable", "--now", "headroom-default.service"]);
    expect(readdirSync(home)).toEqual([]);
  });

  test("the text form shows unified diffs, the commands and the manifest, and writes nothing", async () => {
    const port = await freePort();
    const r = await hr(["install", "apply", "--dry-run", "--preset", "persistent-task", "--providers", "manual", "--target", "claude", "--port", String(port), "--interval", "4"], { ...env, HEADROOM_TASK_BACKEND: "systemd" });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("nothing was changed");
    expect(r.stdout).toContain("--- /dev/null");
    expect(r.stdout).toContain("+OnUnitActiveSec=4min");
    expect(r.stdout).toContain("systemctl --user enable --now headroom-default-ensure.timer");
    expect(r.stdout).toContain('"preset": "persistent-task"');
    expect(readdirSync(home)).toEqual([]);
  });

  test("system scope renders /etc/systemd/system units and an /etc/cron.d file", async () => {
    const svc = JSON.parse((await hr(["install", "apply", "--dry-run", "--json", "--scope", "system", "--providers", "manual", "--target", "claude", "--port", String(await freePort())], env)).stdout);
    const unit = svc.files.find((f: { path: string }) => f.path === "/etc/systemd/system/headroom-default.service");
    expect(unit.content).toContain("WantedBy=multi-user.target");
    expect(svc.commands).toContainEqual(["systemctl", "enable", "--now", "headroom-default.service"]);
    const task = JSON.parse((await hr(["install", "apply", "--dry-run", "--json", "--scope", "system", "--preset", "persistent-task", "--providers", "manual", "--target", "claude", "--port", String(await freePort())], { ...env, HEADROOM_TASK_BACKEND: "cron" })).stdout);
    const cronFile = task.files.find((f: { path: string }) => f.path === "/etc/cron.d/headroom-default");
    expect(cronFile.content).toMatch(/^\*\/5 \* \* \* \* root HEADROOM_WORKSPACE_DIR=/m);
    expect(readdirSync(home)).toEqual([]);
  });

  test("--os renders another OS's plan with its adapter (or says it is not available yet)", async () => {
    const r = await hr(["install", "apply", "--dry-run", "--json", "--os", "darwin", "--providers", "manual", "--target", "claude", "--port", String(await freePort())], env);
    if (r.code === 0) expect(JSON.parse(r.stdout).manifest.os).toBe("darwin");
    else expect(r.stderr).toContain("not available");
    expect(readdirSync(home)).toEqual([]);
  });

  test("--env values are hidden in both forms unless --show-secrets; the names stay", async () => {
    const secret = "sk-ant-secret-xyz";
    for (const preset of ["persistent-service", "persistent-task", "persistent-docker"]) {
      for (const json of [true, false]) {
        const args = ["install", "apply", "--dry-run", ...(json ? ["--json"] : []), "--preset", preset, "--providers", "manual", "--target", "claude", "--port", String(await freePort()), "--env", `ANTHROPIC_API_KEY=${secret}`, "--env", "HEADROOM_LOG_NOTE=plain words"];
        const hidden = await hr(args, { ...env, HEADROOM_TASK_BACKEND: "systemd" });
        expect(hidden.code).toBe(0);
        expect(hidden.stdout).not.toContain(secret);
        expect(hidden.stdout).not.toContain("plain words");
        expect(hidden.stdout).toContain("ANTHROPIC_API_KEY");
        if (json) expect(JSON.parse(hidden.stdout).manifest.env).toEqual({ ANTHROPIC_API_KEY: HIDDEN, HEADROOM_LOG_NOTE: HIDDEN });
        const shown = await hr([...args, "--show-secrets"], { ...env, HEADROOM_TASK_BACKEND: "systemd" });
        expect(shown.code).toBe(0);
        expect(shown.stdout).toContain(secret);
        // Shown in the manifest only: no unit, plist, task or command carries a value.
        if (json) {
          const doc = JSON.parse(shown.stdout);
          expect(doc.manifest.env.ANTHROPIC_API_KEY).toBe(secret);
          expect(JSON.stringify(doc.files)).not.toContain(secret);
          expect(JSON.stringify(doc.commands)).not.toContain(secret);
        }
      }
    }
    expect(readdirSync(home)).toEqual([]);
  });

  test("--os for another OS without --dry-run is a usage error", async () => {
    const r = await hr(["install", "apply", "--os", "windows"], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--dry-run");
  });

  test("persistent-docker lists the provider keys it passes to the container by name, never their values", async () => {
    const secret = "sk-dry-run-secret-value";
    const r = await hr(["install", "apply", "--dry-run", "--json", "--preset", "persistent-docker", "--providers", "manual", "--target", "claude", "--port", String(await freePort())], { ...env, ANTHROPIC_API_KEY: secret, OPENAI_API_KEY: secret });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.manifest.passEnv).toEqual(["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "HEADROOM_PROXY_TOKEN"]);
    expect(r.stdout).not.toContain(secret);
    const run = doc.commands.find((c: string[]) => c[1] === "run");
    expect(run).toContain("ANTHROPIC_API_KEY");
    const native = JSON.parse((await hr(["install", "apply", "--dry-run", "--json", "--providers", "manual", "--target", "claude", "--port", String(await freePort())], env)).stdout);
    expect(native.manifest.passEnv).toEqual([]);
    expect(readdirSync(home)).toEqual([]);
  });

  test("a unit file that already exists is shown as a diff against its current content", async () => {
    const other = mkdtempSync("/tmp/headroom-dry-unit-");
    try {
      const dir = join(other, ".config/systemd/user");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "headroom-default.service"), "[Unit]\nDescription=an older unit\n");
      const r = await hr(["install", "apply", "--dry-run", "--providers", "manual", "--target", "claude", "--port", String(await freePort())], { ...env, HOME: other, HEADROOM_WORKSPACE_DIR: join(other, ".headroom") });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("-Description=an older unit");
      expect(r.stdout).toContain(`--- a${join(dir, "headroom-default.service")}`);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test("paths of either OS count as absolute when the current content is looked up", () => {
    expect(isAbsoluteAnyOs("/etc/systemd/system/x.service")).toBe(true);
    expect(isAbsoluteAnyOs("C:\\Users\\me\\.headroom\\task.xml")).toBe(true);
    expect(isAbsoluteAnyOs("\\\\server\\share\\x")).toBe(true);
    expect(isAbsoluteAnyOs("relative/x")).toBe(false);
    expect(isAbsoluteAnyOs("C:relative")).toBe(false);
  });
});
