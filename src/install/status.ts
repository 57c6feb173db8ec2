// `install status`: the supervisor's own view, readiness, and whether the process on
// the port is this deployment. Problems (foreign process, crash loop, no linger,
// configuration drift) each get a line. Healthy = running + ready + ours.
import { errorMessage } from "../errors.ts";
import { bind } from "./bound.ts";
import { heldBy, proveIdentity } from "./identity.ts";
import type { Manifest } from "./manifest.ts";
import type { Supervisor, SupervisorStatus } from "./supervisors/types.ts";
import { type VersionSkew, runtimeSkew } from "./version-skew.ts";

import type { Env } from "../host/env.ts";

export interface StatusReport {
  profile: string;
  preset: string;
  runtime: string;
  supervisor: string;
  scope: string;
  port: number;
  targets: string[];
  supervisorView: Omit<SupervisorStatus, "problems" | "details"> | { kind: string; error: string };
  ready: boolean;
  /** What /health says answers on the port. */
  serving: { profile?: string; pid?: number; description: string };
  /** Whether the holder of the port proved it is this deployment (src/install/identity.ts), and how. */
  identity: { proven: boolean; how?: "challenge" | "socket-owner"; reason?: string };
  isThisDeployment: boolean;
  /** The version of the runtime that proved it is this deployment against this binary's (null when none answers). */
  version: VersionSkew | null;
  healthy: boolean;
  problems: string[];
}

export async function deploymentStatus(m: Manifest, env: Env = process.env): Promise<StatusReport> {
  // The identity proof (the port probe and the challenge) starts while the supervisor's
  // module is still loading; the supervisor's main pid is needed only for a runtime too
  // old to answer the challenge.
  let supReady!: (s: Awaited<ReturnType<Supervisor["status"]>> | { kind: string; error: string }) => void;
  const supAnswer = new Promise<Awaited<ReturnType<Supervisor["status"]>> | { kind: string; error: string }>((r) => (supReady = r));
  const proving = proveIdentity(m, {
    timeoutMs: 1000,
    expectedPid: async () => {
      const s = await supAnswer;
      return "error" in s ? undefined : s.runtimePid;
    },
  });
  const b = await bind(m, env);
  const problems: string[] = [];
  const supQuery = b.sup.status(b.ctx).catch((err) => ({ kind: b.sup.kind, error: errorMessage(err) }) as const);
  supQuery.then(supReady);
  const [sup, proof, drift] = await Promise.all([
    supQuery,
    proving,
    m.changes.length ? import("./drift.ts").then((d) => d.wiringDrift(m.changes)).catch((err) => [`could not check the wiring: ${errorMessage(err)}`]) : Promise.resolve([] as string[]),
  ]);
  const probe = proof.probe;
  let supView: StatusReport["supervisorView"];
  let supRunning = false;
  let expectedPid: number | undefined;
  let keepsRuntime = true;
  if ("error" in sup) {
    supView = sup;
    problems.push(`The ${sup.kind} supervisor could not be queried: ${sup.error}`);
  } else {
    const { problems: p, details: _d, ifUnhealthy: _u, keepsRuntime: keeps, runtimePid, ...rest } = sup;
    supView = rest;
    problems.push(...p);
    supRunning = sup.running;
    expectedPid = runtimePid;
    keepsRuntime = keeps !== false;
  }
  const ours = proof.proven;
  const pidMatches = !expectedPid || !proof.pid || proof.pid === expectedPid;
  if (probe.open && !ours) problems.push(`Port ${m.port} is held by ${heldBy(proof, m)}.`);
  else if (ours && !pidMatches) problems.push(`The proxy on port ${m.port} (pid ${proof.pid}) is not the supervisor's process (pid ${expectedPid}).`);
  else if (!probe.open) problems.push(`Nothing answers on port ${m.port}.`);
  else if (!probe.ready) problems.push(`The proxy on port ${m.port} is not ready.`);
  const isThis = ours && pidMatches;
  // The binary was upgraded under a running deployment: its supervisor runs the old program until it restarts.
  const skew = isThis && probe.version ? runtimeSkew(probe.version, { profile: m.profile, port: m.port, docker: m.runtime === "docker" }) : null;
  if (skew?.message) problems.push(skew.message);
  for (const d of drift) problems.push(`Configuration drift: ${d}`);
  // A watchdog's schedule being active is not required for the runtime to be healthy.
  const supOk = keepsRuntime ? supRunning : true;
  if (!("error" in sup) && sup.ifUnhealthy && !(probe.ready && isThis && supOk)) problems.splice(sup.problems.length, 0, sup.ifUnhealthy);
  return {
    profile: m.profile,
    preset: m.preset,
    runtime: m.runtime,
    supervisor: m.supervisor,
    scope: m.scope,
    port: m.port,
    targets: m.targets,
    supervisorView: supView,
    ready: probe.ready,
    serving: { profile: probe.profile, pid: ours ? proof.pid : probe.pid, description: ours || !probe.open ? probe.description : heldBy(proof, m) },
    identity: { proven: proof.proven, ...(proof.how ? { how: proof.how } : {}), ...(proof.reason && probe.open && !proof.proven ? { reason: proof.reason } : {}) },
    isThisDeployment: isThis,
    version: skew,
    healthy: probe.ready && isThis && supOk,
    problems,
  };
}

export function formatStatus(r: StatusReport): string {
  const sv = r.supervisorView;
  const supLine = "error" in sv
    ? `${sv.kind}: unknown`
    : `${sv.kind}: ${sv.installed ? sv.state : "not installed"}${sv.pid ? `, main pid ${sv.pid}` : ""}${sv.restarts !== undefined ? `, ${sv.restarts} restarts` : ""}`;
  const lines = [
    `profile ${r.profile}: ${r.healthy ? "healthy" : "NOT healthy"}`,
    `  preset      ${r.preset} (runtime ${r.runtime}, scope ${r.scope})`,
    `  port        ${r.port}`,
    `  targets     ${r.targets.join(", ") || "none"}`,
    `  supervisor  ${supLine}`,
    `  ready       ${r.ready ? "yes" : "no"}`,
    `  serving     ${r.isThisDeployment ? `this deployment${r.serving.pid && r.runtime !== "docker" ? ` (pid ${r.serving.pid})` : r.runtime === "docker" ? " (in its container)" : ""}` : r.serving.description}`,
    ...(r.version ? [`  version     ${r.version.runtime}${r.version.kind === "same" ? "" : ` (this binary: ${r.version.binary})`}`] : []),
  ];
  for (const p of r.problems) lines.push(`  ! ${p}`);
  return lines.join("\n");
}
