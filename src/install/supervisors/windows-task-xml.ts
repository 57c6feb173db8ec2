// Task Scheduler definitions for a deployment, as the XML `schtasks /Create /XML` reads:
// UTF-16 LE with a byte-order mark, declaring encoding="UTF-16". Pure: everything comes
// from the manifest and the context (user name from its env), never from the host.
//
//   persistent-service  headroom-<p>           logon (user) or boot (system) trigger plus a
//                                               one-minute repetition, runs `agent run`, restart
//                                               on failure, no time limit
//   persistent-task     headroom-<p>           logon/boot trigger, runs `agent ensure`
//                       headroom-<p>-watchdog  every N minutes, runs `agent ensure`
//
// The action runs the executable itself (no cmd.exe, so no console host of its own); its
// arguments are quoted for CommandLineToArgvW (src/host/windows-cmdline.ts).
import { HeadroomError } from "../../errors.ts";
import { windowsArguments } from "../../host/windows-cmdline.ts";
import { escapeXmlText } from "./xml-text.ts";
import { agentArgv } from "../runtime-launchers.ts";
import type { SupervisorContext } from "./types.ts";

export const TASK_NAMESPACE = "http://schemas.microsoft.com/windows/2004/02/mit/task";
/** SID of the LocalSystem account, which runs the system-scope tasks. */
export const LOCAL_SYSTEM_SID = "S-1-5-18";
/**
 * RestartOnFailure only retries a task whose action failed to START (MS-TSCH 2.5.4.2); a
 * process that exits later is not restarted by it, and Count is 1..255 (not 999). So the
 * service task also has a one-minute repetition: with MultipleInstancesPolicy IgnoreNew it
 * does nothing while the proxy runs, and starts it again within a minute after a crash.
 */
export const RESTART_COUNT = 255;

/** A fixed start for the repeating trigger, so re-applying renders the same bytes. */
export const REPEAT_START = "2000-01-01T00:00:00";

export interface TaskDefinition {
  /** Name given to schtasks /TN. */
  name: string;
  /** Where the XML is written before `schtasks /Create /XML`. */
  file: string;
  role: "service" | "startup" | "watchdog";
  command: string;
  arguments: string;
  xml: string;
}

export const serviceTaskName = (profile: string) => `headroom-${profile}`;
export const watchdogTaskName = (profile: string) => `headroom-${profile}-watchdog`;

/** Joins onto a path with the separator that path already uses (backslash on Windows). */
export function winJoin(base: string, ...parts: string[]): string {
  const sep = base.includes("\\") || !base.includes("/") ? "\\" : "/";
  return [base.replace(/[\\/]+$/, ""), ...parts].join(sep);
}

/** Shown in a plan rendered where no account name is known (a dry run for Windows elsewhere). */
export const UNKNOWN_USER = "%USERDOMAIN%\\%USERNAME%";

/** The account the user-scope tasks run as: DOMAIN\user from the environment. */
export function taskUserId(env: Record<string, string | undefined>): string {
  const user = env.USERNAME || env.USER || env.LOGNAME;
  if (!user) return UNKNOWN_USER;
  return env.USERDOMAIN ? `${env.USERDOMAIN}\\${user}` : user;
}

export function escapeXml(text: string): string {
  return escapeXmlText(text, "a task definition");
}

function el(name: string, value: string | number | boolean, indent: string): string {
  return `${indent}<${name}>${escapeXml(String(value))}</${name}>`;
}

interface TaskShape {
  description: string;
  triggers: ("logon" | "boot" | { everyMinutes: number })[];
  argv: string[];
  restartOnFailure: boolean;
}

function renderTaskXml(ctx: SupervisorContext, name: string, shape: TaskShape): { xml: string; command: string; arguments: string } {
  const m = ctx.manifest;
  const system = m.scope === "system";
  const user = system ? LOCAL_SYSTEM_SID : taskUserId(ctx.env);
  const [command, ...rest] = shape.argv;
  if (!command) throw new Error("empty task command");
  if (command.includes('"')) throw new HeadroomError(`The executable path ${command} contains a double quote, which Windows paths cannot hold.`);
  const args = windowsArguments(rest);
  const I = "  ";
  const trigger: string[] = shape.triggers.flatMap((t) =>
    typeof t === "object"
      ? [`${I}${I}<TimeTrigger>`, `${I.repeat(3)}<Repetition>`, el("Interval", `PT${t.everyMinutes}M`, I.repeat(4)), el("StopAtDurationEnd", false, I.repeat(4)), `${I.repeat(3)}</Repetition>`, el("StartBoundary", REPEAT_START, I.repeat(3)), el("Enabled", true, I.repeat(3)), `${I}${I}</TimeTrigger>`]
      : t === "boot"
        ? [`${I}${I}<BootTrigger>`, el("Enabled", true, I.repeat(3)), `${I}${I}</BootTrigger>`]
        : // A non-administrator may only register a logon trigger for their own account, named explicitly.
          [`${I}${I}<LogonTrigger>`, el("Enabled", true, I.repeat(3)), el("UserId", user, I.repeat(3)), `${I}${I}</LogonTrigger>`],
  );
  const principal = system
    ? [el("UserId", LOCAL_SYSTEM_SID, I.repeat(3)), el("RunLevel", "HighestAvailable", I.repeat(3))]
    : // S4U: runs as the user without a stored password, on a non-interactive desktop (no window).
      [el("UserId", user, I.repeat(3)), el("LogonType", "S4U", I.repeat(3)), el("RunLevel", "LeastPrivilege", I.repeat(3))];
  const lines = [
    '<?xml version="1.0" encoding="UTF-16"?>',
    `<Task version="1.2" xmlns="${TASK_NAMESPACE}">`,
    `${I}<RegistrationInfo>`,
    el("Author", "headroom", I.repeat(2)),
    el("Description", shape.description, I.repeat(2)),
    el("URI", `\\${name}`, I.repeat(2)),
    `${I}</RegistrationInfo>`,
    `${I}<Triggers>`,
    ...trigger,
    `${I}</Triggers>`,
    `${I}<Principals>`,
    `${I}${I}<Principal id="Author">`,
    ...principal,
    `${I}${I}</Principal>`,
    `${I}</Principals>`,
    `${I}<Settings>`,
    el("MultipleInstancesPolicy", "IgnoreNew", I.repeat(2)),
    el("DisallowStartIfOnBatteries", false, I.repeat(2)),
    el("StopIfGoingOnBatteries", false, I.repeat(2)),
    el("AllowHardTerminate", true, I.repeat(2)),
    el("StartWhenAvailable", true, I.repeat(2)),
    el("RunOnlyIfNetworkAvailable", false, I.repeat(2)),
    `${I}${I}<IdleSettings>`,
    el("StopOnIdleEnd", false, I.repeat(3)),
    el("RestartOnIdle", false, I.repeat(3)),
    `${I}${I}</IdleSettings>`,
    el("AllowStartOnDemand", true, I.repeat(2)),
    el("Enabled", true, I.repeat(2)),
    el("Hidden", true, I.repeat(2)),
    el("RunOnlyIfIdle", false, I.repeat(2)),
    el("WakeToRun", false, I.repeat(2)),
    el("ExecutionTimeLimit", "PT0S", I.repeat(2)),
    // 7 (Task Scheduler's default) is below-normal; a proxy on the request path runs at normal priority.
    el("Priority", 5, I.repeat(2)),
    ...(shape.restartOnFailure ? [`${I}${I}<RestartOnFailure>`, el("Interval", "PT1M", I.repeat(3)), el("Count", RESTART_COUNT, I.repeat(3)), `${I}${I}</RestartOnFailure>`] : []),
    `${I}</Settings>`,
    `${I}<Actions Context="Author">`,
    `${I}${I}<Exec>`,
    el("Command", command, I.repeat(3)),
    ...(args ? [el("Arguments", args, I.repeat(3))] : []),
    `${I}${I}</Exec>`,
    `${I}</Actions>`,
    "</Task>",
    "",
  ];
  return { xml: lines.join("\r\n"), command, arguments: args };
}

function definer(ctx: SupervisorContext) {
  const m = ctx.manifest;
  const dir = winJoin(m.workspaceDir, "deploy", m.profile);
  return {
    atStart: (m.scope === "system" ? "boot" : "logon") as "boot" | "logon",
    when: m.scope === "system" ? "at startup" : "at logon",
    def: (name: string, role: TaskDefinition["role"], shape: TaskShape): TaskDefinition => ({ name, role, file: winJoin(dir, `${name}.xml`), ...renderTaskXml(ctx, name, shape) }),
  };
}

/** persistent-service: one task that runs the runtime at logon/boot and again within a minute after it exits. */
export function serviceTaskDefinitions(ctx: SupervisorContext): TaskDefinition[] {
  const m = ctx.manifest;
  const { atStart, def } = definer(ctx);
  return [def(serviceTaskName(m.profile), "service", { description: `headroom proxy (profile ${m.profile}, port ${m.port})`, triggers: [atStart, { everyMinutes: 1 }], argv: ctx.runtime.argv(ctx), restartOnFailure: true })];
}

/** persistent-task: the watchdog at logon/boot and every N minutes, in registration order. */
export function watchdogTaskDefinitions(ctx: SupervisorContext): TaskDefinition[] {
  const m = ctx.manifest;
  const { atStart, when, def } = definer(ctx);
  const argv = agentArgv(m, "ensure");
  return [
    def(serviceTaskName(m.profile), "startup", { description: `headroom watchdog ${when} (profile ${m.profile}, port ${m.port})`, triggers: [atStart], argv, restartOnFailure: false }),
    def(watchdogTaskName(m.profile), "watchdog", { description: `headroom watchdog every ${m.interval} min (profile ${m.profile}, port ${m.port})`, triggers: [{ everyMinutes: m.interval }], argv, restartOnFailure: false }),
  ];
}

/** UTF-16 LE bytes with the FF FE byte-order mark. */
export function utf16leWithBom(text: string): Uint8Array {
  const body = Buffer.from(text, "utf16le");
  const out = new Uint8Array(body.length + 2);
  out[0] = 0xff;
  out[1] = 0xfe;
  out.set(body, 2);
  return out;
}
