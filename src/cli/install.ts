// `headroom install ...`: parse, call, print. The install modules are imported lazily
// so `install status` does not load the proxy, and nothing here holds logic.
//
// Every command takes --json: one object on stdout, {"ok":true,...} on success and
// {"ok":false,"error":"...","code":N} on failure (src/cli/report-error.ts), nothing else
// on stdout or stderr. Messages go through consola (src/cli/log.ts); waits longer than
// half a second show a progress line on a terminal (src/cli/progress.ts).
import { defineCommand } from "citty";
import { HeadroomError, UsageError } from "../errors.ts";
import { rejectUnknownFlags, repeatedValues } from "./args.ts";
import { runInstallStatus } from "./install-status.ts";
import { isQuiet, logger } from "./log.ts";
import { proxyValueArgs } from "./proxy-flags.ts";

/** The tools `--target` takes (src/tools/registry.ts TOOL_NAMES; test/unit/cli-completion.test.ts keeps them equal). */
export const TARGET_HINT = "claude|codex|aider|copilot|cursor|opencode|openclaw";

const profileArg = { profile: { type: "string", valueHint: "profile", description: "Deployment profile (default: default)" } } as const;
const jsonArg = { json: { type: "boolean", description: "Print the result as one JSON object, on failure too" } } as const;

const applyArgs = {
  ...profileArg,
  preset: { type: "string", valueHint: "persistent-service|persistent-task|persistent-docker", description: "persistent-service (default), persistent-task or persistent-docker" },
  runtime: { type: "string", valueHint: "native|docker|python", description: "native (default) or docker; python is an alias of native" },
  scope: { type: "string", valueHint: "provider|user|system", description: "provider, user (default) or system" },
  providers: { type: "string", valueHint: "auto|all|manual", description: "auto (default), all or manual" },
  target: { type: "string", valueHint: TARGET_HINT, repeatable: true, unique: true, description: "Tool to wire with --providers manual (repeatable)" },
  port: { type: "string", valueHint: "port", description: "Proxy port (default HEADROOM_PORT or 8787)" },
  ...proxyValueArgs,
  env: { type: "string", valueHint: "NAME=VALUE", repeatable: true, description: "NAME=VALUE for the runtime (repeatable)" },
  interval: { type: "string", valueHint: "minutes", description: "persistent-task watchdog interval in minutes (default 5)" },
  image: { type: "string", valueHint: "image", description: "Docker image for the docker runtime" },
  "dry-run": { type: "boolean", description: "Print the plan (diffs, commands, manifest) and change nothing" },
  ...jsonArg,
  os: { type: "string", valueHint: "linux|darwin|windows", description: "With --dry-run: render the plan for linux, darwin or windows, with that OS's paths" },
  force: { type: "boolean", description: "Replace an unreadable manifest" },
  "show-secrets": { type: "boolean", description: "Print --env values in the output (hidden by default)" },
} as const;

const OS_NAMES = ["linux", "darwin", "windows"] as const;

function profileOf(args: { profile?: string }): string {
  return args.profile ?? "default";
}

const printJson = (value: Record<string, unknown>) => console.log(JSON.stringify({ ok: true, ...value }));

async function progress<T>(json: boolean | undefined, label: string, work: () => Promise<T>): Promise<T> {
  const { withProgress } = await import("./progress.ts");
  return withProgress(label, work, { silent: !!json || isQuiet() });
}

const apply = defineCommand({
  meta: { name: "apply", description: "Create or update a deployment profile and start it." },
  args: applyArgs,
  async run({ args, rawArgs }) {
    rejectUnknownFlags(rawArgs, applyArgs);
    const log = logger();
    const many = repeatedValues(rawArgs, applyArgs);
    const { buildManifest } = await import("../install/plan.ts");
    const { previewBinPath, stableBinPath } = await import("../install/binpath.ts");
    const { hostOs } = await import("../host/platform.ts");
    const dryRun = !!args["dry-run"];
    const here = hostOs();
    if (args.os && args.os !== here && !dryRun) throw new UsageError(`--os ${args.os} only works with --dry-run (this machine is ${here}).`);
    // Another OS's plan is rendered with that OS's home, workspace and executable paths
    // for this user, not with this machine's (src/paths.ts previewEnv).
    const target = (OS_NAMES as readonly string[]).includes(args.os ?? "") ? (args.os as (typeof OS_NAMES)[number]) : here;
    const foreign = dryRun && target !== here;
    const env = foreign ? (await import("../paths.ts")).previewEnv(target, process.env, here) : process.env;
    let bin: string;
    if (foreign) bin = previewBinPath(target, env);
    else {
      try {
        bin = stableBinPath();
      } catch (err) {
        if (!dryRun) throw err;
        bin = process.execPath;
      }
    }
    log.debug(`executable for the supervisor: ${bin}`);
    const built = buildManifest(
      {
        profile: args.profile, preset: args.preset, runtime: args.runtime, scope: args.scope, providers: args.providers,
        targets: many.target, port: args.port, backend: args.backend, mode: args.mode,
        anthropicApiUrl: args["anthropic-api-url"], openaiApiUrl: args["openai-api-url"], optimize: args.optimize,
        telemetry: args.telemetry, logLevel: args["log-level"], env: many.env, interval: args.interval,
        image: args.image, os: args.os,
      },
      env,
      bin,
    );
    if (!args.json) for (const n of built.notes) log.info(n);
    const { prepareApply, executeApply } = await import("../install/apply.ts");
    const prepared = await prepareApply(built.manifest, env, { force: !!args.force, dryRun });
    log.debug(`supervisor ${prepared.sup.kind}, workspace ${prepared.manifest.workspaceDir}`);
    if (dryRun) {
      const { buildDryRun, dryRunJson, dryRunText } = await import("../install/dry-run.ts");
      const plan = buildDryRun(prepared);
      const show = { showSecrets: !!args["show-secrets"] };
      console.log(args.json ? dryRunJson(plan, show) : dryRunText(plan, prepared.warnings, show));
      return;
    }
    if (!args.json) for (const w of prepared.warnings) log.info(w);
    const m0 = prepared.manifest;
    const result = await progress(args.json, `Applying profile "${m0.profile}": installing the ${prepared.sup.kind} supervisor and waiting until port ${m0.port} is healthy`, () => executeApply(prepared));
    if (args.json) {
      const { maskManifest } = await import("../install/secrets.ts");
      printJson({ manifest: args["show-secrets"] ? result.manifest : maskManifest(result.manifest), pid: result.health.pid, warnings: [...built.notes, ...result.warnings], replaced: result.replaced });
      return;
    }
    for (const w of result.warnings) log.warn(w);
    const m = result.manifest;
    log.success(`${result.replaced ? "Updated" : "Installed"} profile "${m.profile}" (${m.preset}, ${m.runtime}, scope ${m.scope}): healthy on http://127.0.0.1:${m.port}${prepared.ctx.runtime.hostPid ? ` (pid ${result.health.pid ?? "?"})` : ""}.`);
  },
});

const statusArgs = {
  ...profileArg,
  all: { type: "boolean", description: "Every profile" },
  json: { type: "boolean", description: "Print as one JSON object (with \"ok\" and \"code\"), on failure too" },
} as const;

const status = defineCommand({
  meta: { name: "status", description: "Show a deployment's health (exit 0 only when running and healthy; 3 not installed, 4 stopped, 5 unhealthy)." },
  args: statusArgs,
  async run({ args, rawArgs }) {
    rejectUnknownFlags(rawArgs, statusArgs);
    await runInstallStatus({ ...args, quiet: isQuiet() });
  },
});

type LifecycleName = "start" | "stop" | "restart" | "remove";

function lifecycle(name: LifecycleName, description: string, extra: Record<string, { type: "boolean"; description: string }> = {}) {
  const def = { ...profileArg, ...extra, ...jsonArg } as const;
  return defineCommand({
    meta: { name, description },
    args: def,
    async run({ args, rawArgs }) {
      rejectUnknownFlags(rawArgs, def);
      const a = args as { profile?: string; json?: boolean; pause?: boolean };
      const log = logger();
      const { loadManifest } = await import("../install/store.ts");
      const deploy = await import("../install/deploy.ts");
      const m = loadManifest(profileOf(a));
      log.debug(`profile ${m.profile}: ${m.preset}, runtime ${m.runtime}, port ${m.port}`);
      // A container's pid is the engine's: only a runtime whose pid means something here gets one.
      const { launcherFor } = await import("../install/table.ts");
      const hostPid = launcherFor(m.runtime).hostPid;
      const pidNote = (pid?: number) => (hostPid ? ` (pid ${pid ?? "?"})` : "");
      if (name === "start") {
        const h = await progress(a.json, `Starting profile "${m.profile}" and waiting until port ${m.port} is healthy`, () => deploy.startDeployment(m));
        if (a.json) return printJson({ profile: m.profile, port: m.port, pid: h.pid ?? null });
        log.success(`Profile "${m.profile}" is running on port ${m.port}${pidNote(h.pid)}.`);
      } else if (name === "stop") {
        const pause = !!a.pause;
        if (pause && m.preset !== "persistent-task") throw new UsageError("--pause only applies to the persistent-task preset.");
        await progress(a.json, `Stopping profile "${m.profile}" and waiting until port ${m.port} is free`, () => deploy.stopDeployment(m, process.env, { pause }));
        const watchdog = m.preset === "persistent-task" && !pause;
        if (a.json) return printJson({ profile: m.profile, port: m.port, paused: pause, ...(m.preset === "persistent-task" ? { watchdogRestartsWithinMinutes: watchdog ? m.interval : null } : {}) });
        if (watchdog) log.success(`Stopped profile "${m.profile}"; port ${m.port} is free. The watchdog starts it again within ${m.interval} minutes (use --pause to stop that until \`install start\`).`);
        else log.success(`Stopped profile "${m.profile}"; port ${m.port} is free.${pause ? " The watchdog is paused until `install start`." : ""}`);
      } else if (name === "restart") {
        const h = await progress(a.json, `Restarting profile "${m.profile}" and waiting until port ${m.port} is healthy`, () => deploy.restartDeployment(m));
        if (a.json) return printJson({ profile: m.profile, port: m.port, pid: h.pid ?? null });
        log.success(`Restarted profile "${m.profile}"${hostPid ? ` (new pid ${h.pid ?? "?"})` : ""}.`);
      } else {
        const r = await progress(a.json, `Removing profile "${m.profile}"`, () => deploy.removeDeployment(m));
        if (!r.removed) {
          // With --json the problems are in the one object; otherwise each gets its line first.
          if (!a.json) for (const p of r.problems) log.error(`remove: ${p}`);
          const what = a.json ? ` (${r.problems.join("; ")})` : "";
          throw new HeadroomError(`Removing profile "${m.profile}" was incomplete${what}; its folder and manifest were kept so \`headroom install remove\` can be run again.`);
        }
        if (a.json) return printJson({ profile: m.profile, removed: true, problems: r.problems });
        for (const p of r.problems) log.warn(`remove: ${p}`);
        log.success(`Removed profile "${m.profile}".`);
      }
    },
  });
}

const agentArgs = profileArg;

export default defineCommand({
  meta: { name: "install", description: "Persistent deployments: a supervised proxy that survives logout, crash and reboot." },
  subCommands: {
    apply,
    status,
    start: lifecycle("start", "Start a deployment through its supervisor and wait until it is healthy."),
    stop: lifecycle("stop", "Stop a deployment and wait until its port is free.", { pause: { type: "boolean", description: "persistent-task: also pause the watchdog until start" } }),
    restart: lifecycle("restart", "Restart a deployment and wait for a new healthy process."),
    remove: lifecycle("remove", "Remove a deployment and undo every change it made."),
    logs: () => import("./install-logs.ts").then((m) => m.default),
    "upgrade-restart": () => import("./install-logs.ts").then((m) => m.upgradeRestart),
    agent: defineCommand({
      meta: { name: "agent", description: "What supervisors execute (internal).", hidden: true },
      subCommands: {
        run: defineCommand({
          meta: { name: "run", description: "Serve the profile's proxy in this process." },
          args: agentArgs,
          async run({ args }) {
            const { agentRun } = await import("../install/agent.ts");
            await agentRun(profileOf(args));
            // Drained and stopped: exit now rather than wait for stray timers.
            process.exit(0);
          },
        }),
        ensure: defineCommand({
          meta: { name: "ensure", description: "Start the profile's runtime unless it is healthy." },
          args: agentArgs,
          async run({ args }) {
            const { agentEnsure } = await import("../install/agent.ts");
            const outcome = await agentEnsure(profileOf(args));
            console.log(`${new Date().toISOString()} ensure ${profileOf(args)}: ${outcome}`);
          },
        }),
      },
    }),
  },
});
