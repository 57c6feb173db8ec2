// deploy/kubernetes as kubectl renders it: the base, the example overlay, and the optional
// ServiceMonitor component on the base. Every rendered object is checked against the
// Kubernetes API schemas twice: kubernetes-models' validators (types, required fields,
// formats) and, since those let unknown fields through, the models' TypeScript types
// with excess-property checks (a typo such as `readOnlyRootFileSystem` would otherwise be
// dropped silently by the API server). Then the properties that matter: probes on the
// proxy's routes and port, non-root and read-only with the workspace on an emptyDir,
// replicas, a drain that fits the grace period, selectors that match the pods, the
// autoscaler's target, the network policy's ports, Secrets referenced and never contained.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix, relative } from "node:path";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Service, ServiceAccount } from "kubernetes-models/v1";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { DEFAULT_DRAIN_MS } from "../../../src/proxy/server.ts";
import { repoRoot } from "../../support/bin.ts";

type J = Record<string, any>;

const K8S = join(repoRoot, "deploy/kubernetes");

/** apiVersion/kind -> the model that validates it and the module and type that describe it. */
const MODELS: Record<string, { model: new (data: any) => { validate(): void }; module: string; type: string }> = {
  "v1/ServiceAccount": { model: ServiceAccount, module: "kubernetes-models/v1", type: "IServiceAccount" },
  "v1/Service": { model: Service, module: "kubernetes-models/v1", type: "IService" },
  "apps/v1/Deployment": { model: Deployment, module: "kubernetes-models/apps/v1", type: "IDeployment" },
  "policy/v1/PodDisruptionBudget": { model: PodDisruptionBudget, module: "kubernetes-models/policy/v1", type: "IPodDisruptionBudget" },
  "autoscaling/v2/HorizontalPodAutoscaler": { model: HorizontalPodAutoscaler, module: "kubernetes-models/autoscaling/v2", type: "IHorizontalPodAutoscaler" },
  "networking.k8s.io/v1/NetworkPolicy": { model: NetworkPolicy, module: "kubernetes-models/networking.k8s.io/v1", type: "INetworkPolicy" },
  "monitoring.coreos.com/v1/ServiceMonitor": { model: ServiceMonitor, module: "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1", type: "IServiceMonitor" },
};

const keyOf = (o: J) => `${o.apiVersion}/${o.kind}`;

function kustomize(dir: string): J[] {
  const r = Bun.spawnSync(["kubectl", "kustomize", dir], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr.toString()}`);
  const docs = Bun.YAML.parse(r.stdout.toString());
  return (Array.isArray(docs) ? docs : [docs]).filter((d) => d !== null) as J[];
}

let work: string;
const renders: Record<"base" | "overlay" | "component", J[]> = { base: [], overlay: [], component: [] };

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "headroom-k8s-"));
  renders.base = kustomize(join(K8S, "base"));
  renders.overlay = kustomize(join(K8S, "overlays/example"));
  // The component on the base alone, as an overlay of one's own would use it.
  const own = join(work, "own-overlay");
  Bun.spawnSync(["mkdir", "-p", own]);
  writeFileSync(
    join(own, "kustomization.yaml"),
    // kustomize takes only relative paths to other kustomizations.
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${relative(own, join(K8S, "base"))}\ncomponents:\n  - ${relative(own, join(K8S, "components/servicemonitor"))}\n`,
  );
  renders.component = kustomize(own);
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const one = (objs: J[], kind: string): J => {
  const found = objs.filter((o) => o.kind === kind);
  expect(found).toHaveLength(1);
  return found[0]!;
};

/** A label selector (matchLabels only: the manifests use nothing else) selects these labels. */
function selects(selector: J, labels: Record<string, string>): boolean {
  expect(selector.matchExpressions).toBeUndefined();
  const want = Object.entries((selector.matchLabels ?? {}) as Record<string, string>);
  return want.length > 0 && want.every(([k, v]) => labels[k] === v);
}

describe("schemas", () => {
  test("each render holds the expected kinds, and no Secret", () => {
    const kinds = (objs: J[]) => objs.map((o) => o.kind).sort();
    const base = ["Deployment", "HorizontalPodAutoscaler", "NetworkPolicy", "PodDisruptionBudget", "Service", "ServiceAccount"];
    expect(kinds(renders.base)).toEqual(base);
    expect(kinds(renders.overlay)).toEqual([...base, "ServiceMonitor"].sort());
    expect(kinds(renders.component)).toEqual([...base, "ServiceMonitor"].sort());
    for (const objs of Object.values(renders)) expect(objs.some((o) => o.kind === "Secret" || o.kind === "ConfigMap")).toBe(false);
  });

  test("every object passes the Kubernetes schema validators", () => {
    for (const [name, objs] of Object.entries(renders)) {
      for (const o of objs) {
        const m = MODELS[keyOf(o)];
        if (!m) throw new Error(`${name}: no schema for ${keyOf(o)}`);
        try {
          new m.model(o).validate();
        } catch (err) {
          throw new Error(`${name} ${o.kind}/${o.metadata?.name}: ${(err as Error).message}`);
        }
      }
    }
  });

  test("the validators catch what they should (a wrong type, a missing required field)", () => {
    const d = structuredClone(one(renders.base, "Deployment"));
    d.spec.replicas = "two";
    expect(() => new Deployment(d).validate()).toThrow(/replicas/);
    const p = structuredClone(one(renders.base, "Deployment"));
    delete p.spec.template.spec.containers[0].livenessProbe.httpGet.port;
    expect(() => new Deployment(p).validate()).toThrow(/port/);
  });

  test("every object has only fields the API knows (the models' types, excess properties refused)", () => {
    const dir = join(work, "types");
    Bun.spawnSync(["mkdir", "-p", dir]);
    symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
    const imports = new Map<string, Set<string>>();
    const lines: string[] = [];
    let i = 0;
    const all = Object.entries(renders).flatMap(([name, objs]) => objs.map((o) => ({ name, o })));
    for (const { name, o } of all) {
      const m = MODELS[keyOf(o)]!;
      if (!imports.has(m.module)) imports.set(m.module, new Set());
      imports.get(m.module)!.add(m.type);
      lines.push(`// ${name} ${o.kind}/${o.metadata.name}`, `export const o${i++}: ${m.type} = ${JSON.stringify(o, null, 1)};`);
    }
    const head = [...imports].map(([mod, types]) => `import type { ${[...types].join(", ")} } from "${mod}";`);
    const good = [...head, ...lines].join("\n");
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, module: "esnext", moduleResolution: "bundler", target: "esnext", skipLibCheck: true, types: [] },
      files: ["check.ts"],
    }));
    const tsc = join(repoRoot, "node_modules/.bin/tsc");
    const check = (source: string) => {
      writeFileSync(join(dir, "check.ts"), source);
      const r = Bun.spawnSync([tsc, "-p", join(dir, "tsconfig.json")], { cwd: dir, stdout: "pipe", stderr: "pipe" });
      return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
    };
    const ok = check(good);
    expect(ok.out).toBe("");
    expect(ok.code).toBe(0);
    // The same check refuses a misspelt field deep in a pod template.
    const typo = good.replace('"readOnlyRootFilesystem": true', '"readOnlyRootFileSystem": true');
    expect(typo).not.toBe(good);
    const bad = check(typo);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain("readOnlyRootFileSystem");
  }, 60_000);
});

/** The invariants every render must keep (an overlay may change sizes and names, not these). */
function gatewayInvariants(objs: J[]) {
  const dockerfile = readFileSync(join(repoRoot, "docker/Dockerfile"), "utf8");
  const imageUser = Number(/^USER (\d+):(\d+)$/m.exec(dockerfile)![1]);
  const d = one(objs, "Deployment");
  const pod = d.spec.template;
  const labels = pod.metadata.labels as Record<string, string>;
  const spec = pod.spec;
  expect(spec.containers).toHaveLength(1);
  const c = spec.containers[0];
  const portOf = (p: string | number) => (typeof p === "number" ? p : c.ports.find((x: J) => x.name === p)?.containerPort);

  test("the Deployment: 2+ replicas of the project's image running `headroom proxy` on 0.0.0.0:8787", () => {
    expect(d.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(selects(d.spec.selector, labels)).toBe(true);
    expect(c.image).toMatch(/headroom/);
    // No command: the image's ENTRYPOINT (`headroom proxy`) runs with these args.
    expect(dockerfile).toContain('ENTRYPOINT ["headroom", "proxy"]');
    expect(c.command).toBeUndefined();
    expect(c.args).toEqual(["--host", "0.0.0.0", "--port", "8787"]);
    expect(c.ports).toEqual([{ name: "http", containerPort: 8787, protocol: "TCP" }]);
    expect(d.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  test("probes: liveness on /livez and readiness on /readyz, on the proxy's port", () => {
    expect(c.livenessProbe.httpGet.path).toBe("/livez");
    expect(portOf(c.livenessProbe.httpGet.port)).toBe(8787);
    expect(c.readinessProbe.httpGet.path).toBe("/readyz");
    expect(portOf(c.readinessProbe.httpGet.port)).toBe(8787);
  });

  test("non-root (the image's user), read-only root filesystem, no privilege, no capabilities", () => {
    expect(spec.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext.runAsUser).toBe(imageUser);
    expect(spec.securityContext.runAsUser).toBe(imageUser);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(c.securityContext.capabilities.drop).toEqual(["ALL"]);
    expect(spec.securityContext.seccompProfile.type).toBe("RuntimeDefault");
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(one(objs, "ServiceAccount").metadata.name).toBe(spec.serviceAccountName);
  });

  const env = (name: string) => c.env.find((e: J) => e.name === name);
  const mountFor = (path: string) =>
    c.volumeMounts
      .filter((m: J) => path === m.mountPath || path.startsWith(`${m.mountPath}/`))
      .sort((a: J, b: J) => b.mountPath.length - a.mountPath.length)[0];
  const volume = (name: string) => spec.volumes.find((v: J) => v.name === name);

  test("the workspace (HEADROOM_WORKSPACE_DIR) and HOME are on an emptyDir, the only writable place", () => {
    for (const name of ["HEADROOM_WORKSPACE_DIR", "HOME", "HEADROOM_CONFIG_DIR"]) {
      const m = mountFor(env(name).value);
      expect(m).toBeDefined();
      expect(m.readOnly).not.toBe(true);
      expect(volume(m.name).emptyDir).toBeDefined();
    }
    const writable = c.volumeMounts.filter((m: J) => m.readOnly !== true);
    expect(writable.every((m: J) => volume(m.name).emptyDir !== undefined)).toBe(true);
  });

  test("Secrets referenced, not contained: the tokens file mounted as a folder (updates reach the pod), the Redis URL optional", () => {
    const file = env("HEADROOM_TOKENS_FILE").value as string;
    const m = mountFor(file);
    expect(m.readOnly).toBe(true);
    // subPath mounts never see a Secret's update; the reload needs the folder.
    expect(m.subPath).toBeUndefined();
    const v = volume(m.name);
    expect(v.secret.secretName).toBe("headroom-tokens");
    const rel = posix.relative(m.mountPath, file);
    expect(v.secret.items.map((it: J) => it.path)).toContain(rel);
    // Readable by the pod's group (fsGroup), by no one else.
    expect(v.secret.defaultMode & 0o007).toBe(0);
    expect(spec.securityContext.fsGroup).toBe(spec.securityContext.runAsGroup);
    const redis = env("HEADROOM_REDIS_URL");
    expect(redis.value).toBeUndefined();
    expect(redis.valueFrom.secretKeyRef).toEqual({ name: "headroom-redis", key: "url", optional: true });
    for (const e of c.env) if (/TOKEN|KEY|REDIS|SECRET|PASSWORD/.test(e.name) && e.name !== "HEADROOM_TOKENS_FILE") expect(e.value).toBeUndefined();
  });

  test("resources: requests and limits for CPU and memory", () => {
    for (const k of ["requests", "limits"]) {
      expect(c.resources[k].cpu).toBeDefined();
      expect(c.resources[k].memory).toBeDefined();
    }
  });

  test("topology spread over zones and nodes, selecting the gateway's pods", () => {
    const keys = spec.topologySpreadConstraints.map((t: J) => t.topologyKey).sort();
    expect(keys).toEqual(["kubernetes.io/hostname", "topology.kubernetes.io/zone"]);
    for (const t of spec.topologySpreadConstraints) {
      expect(t.maxSkew).toBe(1);
      expect(selects(t.labelSelector, labels)).toBe(true);
    }
  });

  test("graceful drain: preStop sleep, then the proxy's SIGTERM drain, both within terminationGracePeriodSeconds", () => {
    const preStop = c.lifecycle.preStop.sleep.seconds as number;
    expect(preStop).toBeGreaterThanOrEqual(3);
    const grace = spec.terminationGracePeriodSeconds as number;
    expect(grace).toBeGreaterThan(preStop + DEFAULT_DRAIN_MS / 1000);
    // The readiness probe notices the drain (503) well within the drain itself.
    expect(c.readinessProbe.periodSeconds * c.readinessProbe.failureThreshold).toBeLessThanOrEqual(DEFAULT_DRAIN_MS / 1000);
  });

  test("the Service selects the pods and targets the proxy's port", () => {
    const s = one(objs, "Service");
    expect(selects({ matchLabels: s.spec.selector }, labels)).toBe(true);
    expect(s.spec.ports).toHaveLength(1);
    expect(portOf(s.spec.ports[0].targetPort)).toBe(8787);
    expect(s.spec.ports[0].name).toBe("http");
  });

  test("the PodDisruptionBudget selects the pods and leaves at least one running", () => {
    const pdb = one(objs, "PodDisruptionBudget");
    expect(selects(pdb.spec.selector, labels)).toBe(true);
    const allowedDown = pdb.spec.maxUnavailable ?? d.spec.replicas - pdb.spec.minAvailable;
    expect(allowedDown).toBeGreaterThanOrEqual(1);
    expect(allowedDown).toBeLessThan(d.spec.replicas);
  });

  test("the HorizontalPodAutoscaler scales this Deployment between 2+ and more replicas", () => {
    const hpa = one(objs, "HorizontalPodAutoscaler");
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: d.metadata.name });
    expect(hpa.metadata.namespace).toBe(d.metadata.namespace);
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.minReplicas).toBeLessThanOrEqual(d.spec.replicas);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    expect(hpa.spec.metrics[0].resource.name).toBe("cpu");
    // Requests are what CPU utilisation is measured against.
    expect(c.resources.requests.cpu).toBeDefined();
  });

  test("the NetworkPolicy: in on the proxy port only; out to DNS, HTTPS and Redis only", () => {
    const np = one(objs, "NetworkPolicy");
    expect(selects(np.spec.podSelector, labels)).toBe(true);
    expect(np.spec.policyTypes.sort()).toEqual(["Egress", "Ingress"]);
    const ports = (rules: J[]) => rules.flatMap((r) => (r.ports as J[]).map((p) => `${p.protocol}/${portOf(p.port)}`)).sort();
    expect(np.spec.ingress.every((r: J) => Array.isArray(r.ports) && r.ports.length > 0)).toBe(true);
    expect([...new Set(ports(np.spec.ingress))]).toEqual(["TCP/8787"]);
    expect(np.spec.egress.every((r: J) => Array.isArray(r.ports) && r.ports.length > 0)).toBe(true);
    const out = new Set(ports(np.spec.egress));
    for (const p of ["UDP/53", "TCP/53", "TCP/443", "TCP/6379"]) expect(out.has(p)).toBe(true);
    expect([...out].every((p) => ["UDP/53", "TCP/53", "TCP/443", "TCP/6379", "TCP/6380"].includes(p))).toBe(true);
  });
}

describe("base", () => {
  gatewayInvariants(kustomize(join(K8S, "base")));

  test("the image is the one `npm run docker:build` makes", () => {
    expect(one(renders.base, "Deployment").spec.template.spec.containers[0].image).toBe("headroom:local");
    expect(readFileSync(join(repoRoot, "scripts/docker-build.ts"), "utf8")).toContain('DEFAULT_TAG = "headroom:local"');
  });
});

describe("example overlay", () => {
  gatewayInvariants(kustomize(join(K8S, "overlays/example")));

  test("its namespace on every object, its image, its sizes, its narrowed ingress and Redis egress", () => {
    for (const o of renders.overlay) expect(o.metadata.namespace).toBe("headroom-team");
    const d = one(renders.overlay, "Deployment");
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.spec.containers[0].image).toBe("registry.example.com/platform/headroom:0.1.0");
    expect(one(renders.overlay, "HorizontalPodAutoscaler").spec.minReplicas).toBe(3);
    const env = d.spec.template.spec.containers[0].env.map((e: J) => e.name);
    // The base's variables survive the patch's additions.
    for (const n of ["HEADROOM_TOKENS_FILE", "HEADROOM_REDIS_URL", "HEADROOM_WORKSPACE_DIR", "HEADROOM_ANTHROPIC_API_URL"]) expect(env).toContain(n);
    const np = one(renders.overlay, "NetworkPolicy");
    expect(np.spec.ingress.every((r: J) => Array.isArray(r.from) && r.from.length > 0)).toBe(true);
    const redisRule = np.spec.egress.find((r: J) => r.ports.some((p: J) => p.port === 6379));
    expect(redisRule.to).toBeDefined();
  });
});

describe("ServiceMonitor component", () => {
  for (const [name, objs] of [["on the base", () => renders.component], ["in the example overlay", () => renders.overlay]] as const) {
    test(`${name}: scrapes /metrics on the Service's port with a bearer token from a Secret`, () => {
      const sm = one(objs(), "ServiceMonitor");
      const svc = one(objs(), "Service");
      expect(selects(sm.spec.selector, svc.metadata.labels)).toBe(true);
      expect(sm.metadata.namespace).toBe(svc.metadata.namespace);
      expect(sm.spec.endpoints).toHaveLength(1);
      const ep = sm.spec.endpoints[0];
      expect(ep.port).toBe(svc.spec.ports[0].name);
      expect(ep.path).toBe("/metrics");
      expect(ep.authorization.type).toBe("Bearer");
      expect(ep.authorization.credentials).toEqual({ name: "headroom-metrics-token", key: "token" });
    });
  }
  test("the base alone has no ServiceMonitor (the component is optional)", () => {
    expect(renders.base.some((o) => o.kind === "ServiceMonitor")).toBe(false);
  });
});
