// `headroom install ...`: parse, call, print. The install modules are imported lazily
// so `install status` does not load the proxy, and nothing here holds logic.
import { defineCommand } from "citty";
import { UsageError } from "../errors.ts";
import { rejectUnknownFlags, repeatedValues } from "./args.ts";
import { runInstallStatus } from "./install-status.ts";
import { proxyValueArgs } from "./proxy-flags.ts";

const profileArg = { profile: { type: "string", description: "Deployment profile (default: default)" } } as const;

const applyArgs = {
  ...profileArg,
  preset: { type: "string", description: "persistent-service (default), persistent-task or persistent-docker" },
  runtime: { type: "string", description: "native (default) or docker; python is an alias of native" },
  scope: { type: "string", description: "provider, user (default) or system" },
  providers: { type: "string", description: "auto (default), all or manual" },
  target: { type: "string", repeatable: true, unique: true, description: "Tool to wire with --providers manual (repeatable)" },
  port: { type: "string", description: "Proxy port (default HEADROOM_PORT or 8787)" },
  ...proxyValueArgs,
  env: { type: "string", repeatable: true, description: "NAME=VALUE for the runtime (repeatable)" },
  interval: { type: "string", description: "persistent-task watchdog interval in minutes (default 5)" },
  image: { type: "string", description: "Docker image for the docker runtime" },
  "dry-run": { type: "boolean", description: "Print the plan (diffs, commands, manifest) and change nothing" },
  json: { type: "boolean", description: "Print the result as one JSON object" },
  os: { type: "string", description: "With --dry-run: render the plan for linux, darwin or windows" },
  force: { type: "boolean", description: "Replace an unreadable manifest" },
  "show-secrets": { type: "boolean", description: "Print --env values in the output (hidden by default)" },
} as const;

const say = (msg: string) => console.error(`headroom: ${msg}`);

function profileOf(args: { profile?: string }): string {
  return args.profile ?? "default";
}

const apply = defineCommand({
  meta: { name: "apply", description: "Create or update a deployment profile and start it." },
  args: applyArgs,
  async run({ args, rawArgs }) {
    rejectUnknownFlags(rawArgs, applyArgs);
    const many = repeatedValues(rawArgs, applyArgs);
    const { buildManifest } = await import("../install/plan.ts");
    const { stableBinPath } = await import("../install/binpath.ts");
    const { hostOs } = await import("../host/platform.ts");
    const dryRun = !!args["dry-run"];
    if (args.os && args.os !== hostOs() && !dryRun) throw new UsageError(`--os ${args.os} only works with --dry-run (this machine is ${hostOs()}).`);
    let bin: string;
    try {
      bin = stableBinPath();
    } catch (err) {
      if (!dryRun) throw err;
      bin = process.execPath;
    }
    const built = buildManifest(
      {
        profile: args.profile, preset: args.preset, runtime: args.runtime, scope: args.scope, providers: args.providers,
        targets: many.target, port: args.port, backend: args.backend, mode: args.mode,
        anthropicApiUrl: args["anthropic-api-url"], openaiApiUrl: args["openai-api-url"], optimize: args.optimize,
        telemetry: args.telemetry, logLevel: args["log-level"], env: many.env, interval: args.interval,
        image: args.image, os: args.os,
      },
      process.env,
      bin,
    );
    for (const n of built.notes) say(n);
    const { prepareApply, applyProfile } = await import("../install/apply.ts");
    const prepared = await prepareApply(built.manifest, process.env, { force: !!args.force, dryRun });
    if (dryRun) {
      const { buildDryRun, dryRunJson, dryRunText } = await import("../install/dry-run.ts");
      const plan = buildDryRun(prepared);
      const show = { showSecrets: !!args["show-secrets"] };
      console.log(args.json ? dryRunJson(plan, show) : dryRunText(plan, prepared.warnings, show));
      return;
    }
    for (const w of prepared.warnings) say(w);
    const result = await applyProfile(prepared);
    if (args.json) {
      const { maskManifest } = await import("../install/secrets.ts");
      console.log(JSON.stringify({ ok: true, manifest: args["show-secrets"] ? result.manifest : maskManifest(result.manifest), pid: result.health.pid, warnings: result.warnings, replaced: result.replaced }));
      return;
    }
    for (const w of result.warnings) say(`warning: ${w}`);
    const m = result.manifest;
    console.log(`${result.replaced ? "Updated" : "Installed"} profile "${m.profile}" (${m.preset}, ${m.runtime}, scope ${m.scope}): healthy on http://127.0.0.1:${m.port}${m.runtime === "docker" ? "" : ` (pid ${result.health.pid ?? "?"})`}.`);
  },
});

const statusArgs = {
  ...profileArg,
  all: { type: "boolean", description: "Every profile" },
  json: { type: "boolean", description: "Print as JSON" },
} as const;

const status = defineCommand({
  meta: { name: "status", description: "Show a deployment's health (exit 0 only when running and healthy)." },
  args: statusArgs,
  async run({ args, rawArgs }) {
    rejectUnknownFlags(rawArgs, statusArgs);
    await runInstallStatus(args);
  },
});

function lifecycle(name: string, description: string, extra: Record<string, { type: "boolean"; description: string }> = {}) {
  const def = { ...profileArg, ...extra } as const;
  return defineCommand({
    meta: { name, description },
    args: def,
    async run({ args, rawArgs }) {
      rejectUnknownFlags(rawArgs, def);
      const { loadManifest } = await import("../install/store.ts");
      const deploy = await import("../install/deploy.ts");
      const m = loadManifest(profileOf(args as { profile?: string }));
      if (name === "start") {
        const h = await deploy.startDeployment(m);
        console.log(`Profile "${m.profile}" is running on port ${m.port}${m.runtime === "docker" ? "" : ` (pid ${h.pid ?? "?"})`}.`);
      } else if (name === "stop") {
        const pause = !!(args as { pause?: boolean }).pause;
        if (pause && m.preset !== "persistent-task") throw new UsageError("--pause only applies to the persistent-task preset.");
        await deploy.stopDeployment(m, process.env, { pause });
        if (m.preset === "persistent-task" && !pause) console.log(`Stopped profile "${m.profile}"; port ${m.port} is free. The watchdog starts it again within ${m.interval} minutes (use --pause to stop that until \`install start\`).`);
        else console.log(`Stopped profile "${m.profile}"; port ${m.port} is free.${pause ? " The watchdog is paused until `install start`." : ""}`);
      } else if (name === "restart") {
        const h = await deploy.restartDeployment(m);
        console.log(`Restarted profile "${m.profile}"${m.runtime === "docker" ? "" : ` (new pid ${h.pid ?? "?"})`}.`);
      } else {
        const r = await deploy.removeDeployment(m);
        for (const p of r.problems) say(`remove: ${p}`);
        if (!r.removed) {
          const { HeadroomError } = await import("../errors.ts");
          throw new HeadroomError(`Removing profile "${m.profile}" was incomplete; its folder and manifest were kept so \`headroom install remove\` can be run again.`);
        }
        console.log(`Removed profile "${m.profile}".`);
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
    start: lifecycle("start", "Start a deployment through its supervisor."),
    stop: lifecycle("stop", "Stop a deployment and wait until its port is free.", { pause: { type: "boolean", description: "persistent-task: also pause the watchdog until start" } }),
    restart: lifecycle("restart", "Restart a deployment."),
    remove: lifecycle("remove", "Remove a deployment and undo every change it made."),
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
