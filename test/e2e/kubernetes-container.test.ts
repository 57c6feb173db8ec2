// The Kubernetes base's container, run the way its pod spec says on a real Docker engine
// (there is no cluster here): the project's image with the Deployment's args and env, its
// user, a read-only root filesystem, no capabilities, no privilege escalation, the
// workspace emptyDir as a world-writable folder, and the tokens Secret as Kubernetes lays
// a secret volume out (..data symlink to a timestamped folder), mounted read-only. Proves
// the probes answer on the probe port, the gateway guards with the mounted tokens, a
// Secret update is picked up in the running container, the proxy writes only to the
// workspace, and a SIGTERM ends it with exit 0 within the grace period left after the
// preStop sleep. Upstreams point at a closed port inside the container: nothing leaves it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { repoRoot } from "../support/bin.ts";
import { docker, dockerSkipReason, ensureTestImage, removeContainers } from "../support/docker.ts";
import { freePort } from "./install-support.ts";

type J = Record<string, any>;

const skip = dockerSkipReason();
const TAG = "headroom:e2e-k8s";
const ALICE = "k8s-alice-0123456789abcdef";
const CAROL = "k8s-carol-0123456789abcdef";

function renderBase(): J[] {
  const r = Bun.spawnSync(["kubectl", "kustomize", join(repoRoot, "deploy/kubernetes/base")], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  return Bun.YAML.parse(r.stdout.toString()) as J[];
}

/** A secret volume as the kubelet writes it: <dir>/..<stamp>/<files>, ..data -> ..<stamp>, <file> -> ..data/<file>. */
function writeSecretVolume(dir: string, files: Record<string, string>, stamp: string): void {
  mkdirSync(join(dir, `..${stamp}`), { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, `..${stamp}`, name), text);
    chmodSync(join(dir, `..${stamp}`, name), 0o444);
  }
  symlinkSync(`..${stamp}`, join(dir, "..data_tmp"));
  renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
  for (const name of Object.keys(files)) if (!existsSync(join(dir, name))) symlinkSync(`..data/${name}`, join(dir, name));
}

describe.skipIf(skip !== null)("the base's container on a real engine", () => {
  const name = `headroom-k8s-${process.pid}`;
  let tmp: string;
  let url: string;
  let pod: J;
  let c: J;
  let workspaceHost: string;
  let secretHost: string;

  beforeAll(async () => {
    await ensureTestImage(TAG);
    tmp = mkdtempSync("/tmp/headroom-k8s-ctr-");
    const d = renderBase().find((o) => o.kind === "Deployment")!;
    pod = d.spec.template.spec;
    c = pod.containers[0];
    const sc = c.securityContext;
    const args = ["run", "-d", "--name", name, "--read-only", "--user", `${sc.runAsUser}:${sc.runAsGroup}`, "--group-add", String(pod.securityContext.fsGroup)];
    if (sc.allowPrivilegeEscalation === false) args.push("--security-opt", "no-new-privileges");
    for (const cap of sc.capabilities.drop) args.push("--cap-drop", cap);
    for (const m of c.volumeMounts as J[]) {
      const v = (pod.volumes as J[]).find((x) => x.name === m.name)!;
      const host = join(tmp, m.name);
      mkdirSync(host, { recursive: true });
      if (v.emptyDir) {
        chmodSync(host, 0o777); // an emptyDir's mode
        workspaceHost = host;
      } else if (v.secret) {
        const files = Object.fromEntries((v.secret.items as J[]).map((it) => [it.path, JSON.stringify({ [ALICE]: "alice" })]));
        writeSecretVolume(host, files, "2025_01_01_00_00_00.1");
        secretHost = host;
      } else {
        throw new Error(`no stand-in for volume ${m.name}`);
      }
      args.push("--mount", `type=bind,source=${host},target=${m.mountPath}${m.readOnly ? ",readonly" : ""}`);
    }
    for (const e of c.env as J[]) {
      if (e.value !== undefined) args.push("--env", `${e.name}=${e.value}`);
      else if (!e.valueFrom?.secretKeyRef?.optional) throw new Error(`no stand-in for the required variable ${e.name}`);
      // An optional Secret that does not exist leaves its variable unset, as here.
    }
    // Nothing leaves the container: both upstreams are a closed port on its own loopback.
    args.push("--env", "HEADROOM_ANTHROPIC_API_URL=http://127.0.0.1:9", "--env", "HEADROOM_OPENAI_API_URL=http://127.0.0.1:9");
    const port = await freePort();
    args.push("-p", `127.0.0.1:${port}:${c.ports[0].containerPort}`, TAG, ...c.args);
    const r = await docker(args);
    if (r.code !== 0) throw new Error(`docker run failed: ${r.stderr}`);
    url = `http://127.0.0.1:${port}`;
  }, 240_000);

  afterAll(async () => {
    await removeContainers([name]);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  const probe = async (p: J) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const res = await fetch(`${url}${p.httpGet.path}`, { signal: AbortSignal.timeout(p.timeoutSeconds * 1000) });
        if (res.ok) return res;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`${p.httpGet.path} never answered`);
      await Bun.sleep(100);
    }
  };

  test("the readiness and liveness probes answer on the probe port, as the non-root user", async () => {
    expect(c.readinessProbe.httpGet.port).toBe(c.ports[0].name);
    const ready = (await (await probe(c.readinessProbe)).json()) as J;
    expect(ready.ready).toBe(true);
    const live = (await (await probe(c.livenessProbe)).json()) as J;
    expect(live.alive).toBe(true);
    const top = await docker(["top", name]);
    expect(top.stdout).toMatch(new RegExp(`^${c.securityContext.runAsUser}\\s+\\d+.*headroom proxy --host 0\\.0\\.0\\.0 --port 8787`, "m"));
  }, 60_000);

  test("the mounted tokens guard the gateway; a request of the token's user is accounted to it", async () => {
    expect((await fetch(`${url}/stats`)).status).toBe(401);
    const res = await fetch(`${url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "sk-ant-user", "anthropic-version": "2023-06-01", "x-headroom-proxy-token": ALICE, "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-k8s", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }),
    });
    // The upstream is a closed port: the gateway's own 502, naming it.
    expect(res.status).toBe(502);
    expect(((await res.json()) as J).error.message).toContain("http://127.0.0.1:9");
    const stats = (await (await fetch(`${url}/stats`, { headers: { "x-headroom-proxy-token": ALICE } })).json()) as J;
    expect(stats.requests.by_user.alice).toMatchObject({ requests: 1, errors: 1 });
  }, 60_000);

  test("a Secret update (the kubelet's symlink swap) reaches the running container", async () => {
    const file = posix.basename(c.env.find((e: J) => e.name === "HEADROOM_TOKENS_FILE").value);
    writeSecretVolume(secretHost, { [file]: JSON.stringify({ [CAROL]: "carol" }) }, "2025_01_01_00_05_00.2");
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await fetch(`${url}/stats`, { headers: { "x-headroom-proxy-token": CAROL } })).status;
      if (status === 200) break;
      await Bun.sleep(200);
    }
    expect(status).toBe(200);
    expect((await fetch(`${url}/stats`, { headers: { "x-headroom-proxy-token": ALICE } })).status).toBe(401);
  }, 60_000);

  test("SIGTERM: exit 0 within the grace period left after preStop; the only writes went to the workspace emptyDir", async () => {
    const remaining = pod.terminationGracePeriodSeconds - c.lifecycle.preStop.sleep.seconds;
    const t0 = Date.now();
    const stop = await docker(["stop", "-t", String(remaining), name], process.env, (remaining + 30) * 1000);
    expect(stop.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(remaining * 1000);
    const state = JSON.parse((await docker(["inspect", name])).stdout)[0].State;
    expect(state.ExitCode).toBe(0);
    expect(state.OOMKilled).toBe(false);
    const logs = await docker(["logs", name]);
    const out = logs.stdout + logs.stderr;
    expect(out).toContain("Per-user tokens from /etc/headroom/tokens/tokens.json");
    expect(out).toContain("headroom proxy stopped");
    expect(out).not.toMatch(/EROFS|read-only file system|EACCES/i);
    // The savings ledger landed in HEADROOM_WORKSPACE_DIR on the emptyDir, owned by the pod's user.
    const ws = c.env.find((e: J) => e.name === "HEADROOM_WORKSPACE_DIR").value as string;
    const mount = c.volumeMounts.find((m: J) => ws.startsWith(`${m.mountPath}/`));
    const ledger = join(workspaceHost, posix.relative(mount.mountPath, ws), "proxy_savings.json");
    expect(existsSync(ledger)).toBe(true);
    expect(statSync(ledger).uid).toBe(c.securityContext.runAsUser);
    expect(readdirSync(workspaceHost)).toEqual([".headroom"]);
  }, 90_000);
});
