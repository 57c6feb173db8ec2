// deploy/compose/team.yml as Compose resolves it (`docker compose config`, or Debian's
// `docker-compose config`), and its haproxy.cfg as haproxy parses it (`haproxy -c`): three
// headroom replicas of the project image sharing one Redis under one prefix, the tokens
// folder mounted read-only, only haproxy published and on loopback by default, a drain
// that fits the stop grace period, and a balancer that names each replica and checks
// /readyz. A misspelt field fails the validation (the control).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_DRAIN_MS } from "../../../src/proxy/server.ts";
import { repoRoot } from "../../support/bin.ts";

type J = Record<string, any>;
const DIR = join(repoRoot, "deploy/compose");
const REPLICAS = ["headroom-1", "headroom-2", "headroom-3"];

/** The Compose CLI this machine has: the plugin, else the standalone (Debian's docker-compose). */
function composeCli(): string[] | null {
  if (Bun.which("docker") && Bun.spawnSync(["docker", "compose", "version"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0) return ["docker", "compose"];
  if (Bun.which("docker-compose")) return ["docker-compose"];
  return null;
}
const cli = composeCli();
const haproxy = Bun.which("haproxy") ?? Bun.which("haproxy", { PATH: "/usr/sbin:/usr/bin:/sbin" });
if (process.env.CI === "true" && (!cli || !haproxy)) throw new Error("CI must validate deploy/compose: install docker-compose and haproxy");

function config(file: string, env: Record<string, string> = {}): { code: number; out: string; err: string } {
  const r = Bun.spawnSync([...cli!, "-p", "headroom-team-test", "-f", file, "config"], { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

describe.skipIf(!cli)("deploy/compose/team.yml", () => {
  let tmp: string;
  let rendered: J;

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "headroom-compose-"));
    const r = config(join(DIR, "team.yml"), { HEADROOM_TOKENS_DIR: tmp });
    if (r.code !== 0) throw new Error(`compose config failed: ${r.err}`);
    rendered = Bun.YAML.parse(r.out) as J;
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test("three replicas of headroom:local sharing one Redis under one prefix, guarded by the tokens file", () => {
    const services = rendered.services as J;
    expect(Object.keys(services).sort()).toEqual([...REPLICAS, "haproxy", "redis"].sort());
    for (const name of REPLICAS) {
      const s = services[name];
      expect(s.image).toBe("headroom:local");
      expect(s.environment.HEADROOM_REDIS_URL).toBe("redis://redis:6379/0");
      expect(s.environment.HEADROOM_REDIS_PREFIX).toBe("headroom:team:");
      expect(s.environment.HEADROOM_TOKENS_FILE).toBe("/run/headroom/tokens.json");
      // The folder, read-only (a file bind mount would never see a replaced tokens.json).
      expect(s.volumes).toEqual([{ type: "bind", source: tmp, target: "/run/headroom", read_only: true }]);
      expect(s.read_only).toBe(true);
      expect(s.user).toBe("10001:10001");
      expect(s.cap_drop).toEqual(["ALL"]);
      expect(s.tmpfs.some((t: string) => t.startsWith("/tmp/headroom-home:"))).toBe(true);
      expect(s.ports).toBeUndefined(); // only through the balancer
      expect(Object.keys(s.depends_on)).toEqual(["redis"]);
      // The drain (readyz 503, then in-flight requests finish) fits before SIGKILL.
      expect(Number.parseInt(s.stop_grace_period, 10) * 1000).toBeGreaterThan(DEFAULT_DRAIN_MS);
    }
    expect(services.redis.command).toContain("--appendonly");
    expect(services.redis.command).toContain("volatile-lru");
    expect(services.redis.ports).toBeUndefined();
  });

  test("only haproxy is published, on 127.0.0.1 unless HEADROOM_BIND says otherwise", () => {
    const ports = rendered.services.haproxy.ports as Array<string | J>;
    expect(ports).toHaveLength(1);
    const port = ports[0]!;
    const text = typeof port === "string" ? port : `${port.host_ip}:${port.published}:${port.target}`;
    expect(text).toStartWith("127.0.0.1:8787:8787");
    const wider = config(join(DIR, "team.yml"), { HEADROOM_TOKENS_DIR: tmp, HEADROOM_BIND: "0.0.0.0", HEADROOM_PORT: "9000" });
    expect(wider.code).toBe(0);
    expect(wider.out).toContain("0.0.0.0:9000:8787");
    expect(Object.keys(rendered.services.haproxy.depends_on).sort()).toEqual(REPLICAS);
    expect(rendered.services.haproxy.volumes[0]).toMatchObject({ source: join(DIR, "haproxy.cfg"), target: "/usr/local/etc/haproxy/haproxy.cfg", read_only: true });
  });

  test("a misspelt field fails the validation", () => {
    const dir = join(tmp, "broken");
    mkdirSync(dir);
    copyFileSync(join(DIR, "haproxy.cfg"), join(dir, "haproxy.cfg"));
    writeFileSync(join(dir, "team.yml"), readFileSync(join(DIR, "team.yml"), "utf8").replace("stop_grace_period:", "stop_grace_periods:"));
    const r = config(join(dir, "team.yml"), { HEADROOM_TOKENS_DIR: tmp });
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("stop_grace_periods");
  });
});

describe.skipIf(!haproxy)("deploy/compose/haproxy.cfg", () => {
  test("haproxy accepts it; it balances the three replicas, checks /readyz and retries only failed connections", () => {
    const r = Bun.spawnSync([haproxy!, "-c", "-f", join(DIR, "haproxy.cfg")], { stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(0);
    // Outside Compose's network the names do not resolve; init-addr none lets it start anyway.
    const cfg = readFileSync(join(DIR, "haproxy.cfg"), "utf8");
    for (const name of REPLICAS) expect(cfg).toMatch(new RegExp(`^\\s*server ${name} ${name}:8787$`, "m"));
    expect(cfg).toMatch(/^\s*option httpchk GET \/readyz$/m);
    expect(cfg).toMatch(/^\s*retry-on conn-failure$/m);
    expect(cfg).toMatch(/^\s*bind :8787$/m);
  });
});
