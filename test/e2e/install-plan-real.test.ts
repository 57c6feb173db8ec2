// The plan `install apply --dry-run --json` prints is what `install apply` runs, on the
// real systemd user manager and the real crontab: systemctl, loginctl and crontab are
// wrapped (a shim on PATH records each argument vector, and crontab's standard input,
// then runs the real program), and every command apply ran that changes something
// equals the dry run's `run` steps, in order. The read-only queries the adapter and the
// health wait make (is-system-running, --version, show, loginctl show-user, crontab -l)
// are not steps and are left out of the comparison.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type UserManager, startUserManager, systemdSkipReason } from "../support/systemd.ts";
import { freePort, hr, killAll, runtimePids } from "./install-support.ts";

type Step = { do: string; argv?: string[]; stdin?: string };
type Call = { argv: string[]; stdin?: string };

/** A folder of shims that log to `log` and run the real `names`. */
function shims(names: string[]): { dir: string; log: string; calls(): Call[] } {
  const dir = mkdtempSync("/tmp/headroom-shims-");
  const log = join(dir, "calls.log");
  writeFileSync(log, "");
  for (const name of names) {
    const real = Bun.which(name);
    if (!real) continue;
    // stdin is recorded only for `crontab -` (the others get none; reading it would block).
    const body = [
      "#!/bin/sh",
      `if [ "$(basename "$0")" = crontab ] && [ "$1" = "-" ]; then t=$(mktemp); cat > "$t"; printf '%s\\0' "$0" "$@" >> ${log}; printf '\\1' >> ${log}; cat "$t" >> ${log}; printf '\\2\\n' >> ${log}; exec ${real} "$@" < "$t"; fi`,
      `printf '%s\\0' "$0" "$@" >> ${log}; printf '\\n' >> ${log}`,
      `exec ${real} "$@"`,
    ].join("\n");
    writeFileSync(join(dir, name), body + "\n");
    chmodSync(join(dir, name), 0o755);
  }
  return {
    dir,
    log,
    calls: () => {
      const text = readFileSync(log, "utf8");
      const out: Call[] = [];
      for (const rec of text.split(/\n(?=\/)/)) {
        if (!rec.trim()) continue;
        const [words, rest] = rec.split("\u0001");
        const argv = words!.replace(/\n$/, "").split("\0").filter((w, i, a) => i < a.length - 1 || w !== "");
        argv[0] = argv[0]!.split("/").at(-1)!;
        out.push(rest !== undefined ? { argv, stdin: rest.replace(/\u0002\n?$/, "") } : { argv });
      }
      return out;
    },
  };
}

/** Queries that read the host (while planning, or waiting for health); not steps. */
const isQuery = (argv: string[]) => {
  const a = argv.filter((w) => w !== "--user");
  return (a[0] === "systemctl" && ["is-system-running", "--version", "show", "is-active", "status"].includes(a[1]!)) || (a[0] === "loginctl" && a[1] === "show-user") || (a[0] === "crontab" && a[1] === "-l");
};

function runSteps(stdout: string): Step[] {
  return (JSON.parse(stdout) as { steps: Step[] }).steps.filter((s) => s.do === "run");
}

const skip = systemdSkipReason();

describe.skipIf(skip !== null)("the dry run's steps are what apply runs (real systemd, real crontab)", () => {
  let sd: UserManager;
  let sh: ReturnType<typeof shims>;
  let env: Record<string, string | undefined>;
  const profiles: string[] = [];

  beforeAll(async () => {
    sd = await startUserManager({ prefix: "headroom-plan-" });
    sh = shims(["systemctl", "loginctl", "crontab"]);
    // A user logind has no record of: the plan asks it, and lingering is not short-circuited by /var/lib/systemd/linger.
    env = { ...sd.env, PATH: `${sh.dir}:${sd.env.PATH ?? process.env.PATH}`, HEADROOM_BIN: undefined, HEADROOM_TASK_BACKEND: undefined };
  }, 30_000);

  afterAll(async () => {
    for (const p of profiles) await hr(["install", "remove", "--profile", p], env).catch(() => {});
    for (const p of profiles) killAll(runtimePids(p, join(sd.home, ".headroom")));
    await sd?.stop();
    rmSync(sh.dir, { recursive: true, force: true });
  }, 60_000);

  async function compare(profile: string, extra: string[], e = env) {
    profiles.push(profile);
    const port = await freePort();
    const args = ["install", "apply", "--profile", profile, "--providers", "manual", "--target", "claude", "--port", String(port), ...extra];
    const dry = await hr([...args, "--dry-run", "--json"], e);
    expect(dry.stderr).toBe("");
    expect(dry.code).toBe(0);
    const steps = runSteps(dry.stdout);
    writeFileSync(sh.log, "");
    const real = await hr(args, e);
    expect(real.stderr + real.stdout).toContain("healthy");
    expect(real.code).toBe(0);
    const all = sh.calls();
    // The shims saw the real commands (the queries too): the comparison below is not of two empty lists.
    expect(all.some((c) => isQuery(c.argv))).toBe(true);
    const ran = all.filter((c) => !isQuery(c.argv));
    expect(ran.length).toBeGreaterThan(0);
    expect(ran.map((c) => c.argv)).toEqual(steps.map((s) => s.argv!));
    for (const [i, s] of steps.entries()) if (s.stdin !== undefined) expect(ran[i]!.stdin).toBe(s.stdin);
    return steps;
  }

  test("systemd-service: daemon-reload, reset-failed, enable --now (and linger as the plan says)", async () => {
    const steps = await compare("plansvc", ["--preset", "persistent-service"]);
    const words = steps.map((s) => s.argv!.filter((w) => w !== "--user").slice(1, 3).join(" "));
    expect(words.slice(0, 3)).toEqual(["daemon-reload", "reset-failed headroom-plansvc.service", "enable --now"]);
  }, 90_000);

  test("systemd-timer: the watchdog's units are enabled as printed", async () => {
    const steps = await compare("plantimer", ["--preset", "persistent-task", "--interval", "7"]);
    expect(steps.some((s) => s.argv!.includes("headroom-plantimer-ensure.timer"))).toBe(true);
  }, 90_000);

  test("cron: `crontab -` gets exactly the text the dry run printed", async () => {
    const steps = await compare("plancron", ["--preset", "persistent-task", "--interval", "4"], { ...env, HEADROOM_TASK_BACKEND: "cron" });
    const write = steps.find((s) => s.argv![0] === "crontab")!;
    expect(write.argv).toEqual(["crontab", "-"]);
    expect(write.stdin).toContain("# >>> headroom persistent task plancron >>>");
  }, 90_000);
});
