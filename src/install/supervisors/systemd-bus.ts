// A unit's state read straight from systemd over its private socket, the one systemctl
// itself uses for the user manager ($XDG_RUNTIME_DIR/systemd/private) and, for root,
// the system manager (/run/systemd/private). Same keys and text as `systemctl show
// --property=...`; throws when the socket cannot answer, and the caller then runs
// systemctl.
import { join } from "node:path";
import { type DbusValue, getProperties, type PropertyRequest } from "../../host/dbus.ts";

import type { Env } from "../../host/env.ts";

const UNIT = "org.freedesktop.systemd1.Unit";

/** systemd's object path for a unit: every byte but [A-Za-z0-9] (and a leading digit) as _xx. */
export function unitObjectPath(unit: string): string {
  let out = "";
  const bytes = new TextEncoder().encode(unit);
  bytes.forEach((b, i) => {
    const c = String.fromCharCode(b);
    out += /[A-Za-z]/.test(c) || (/[0-9]/.test(c) && i > 0) ? c : `_${b.toString(16).padStart(2, "0")}`;
  });
  return `/org/freedesktop/systemd1/unit/${out || "_"}`;
}

/** The manager's private socket for the scope, or null when this process cannot use it. */
export function privateSocket(scope: string, env: Env, isRoot: boolean): string | null {
  if (scope === "system") return isRoot ? "/run/systemd/private" : null;
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "systemd", "private") : null;
}

/** The properties `install status` reads, on the interfaces the unit's type has. */
export function statusProperties(unit: string): PropertyRequest[] {
  const props: PropertyRequest[] = ["LoadState", "ActiveState", "SubState", "UnitFileState"].map((name) => ({ iface: UNIT, name }));
  if (unit.endsWith(".service")) for (const name of ["MainPID", "NRestarts", "Result", "ExecMainStartTimestampMonotonic"]) props.push({ iface: "org.freedesktop.systemd1.Service", name });
  else if (unit.endsWith(".timer")) props.push({ iface: "org.freedesktop.systemd1.Timer", name: "Result" });
  return props;
}

export async function showUnitOverBus(socket: string, unit: string, timeoutMs = 1000): Promise<Record<string, string>> {
  const props = statusProperties(unit);
  const answers = await getProperties(socket, unitObjectPath(unit), props, { destination: "org.freedesktop.systemd1", timeoutMs });
  const out: Record<string, string> = {};
  answers.forEach((a, i) => {
    if (typeof a === "object") {
      // Every unit has the Unit interface: an error there means this is not the answer systemctl would give.
      if (props[i]!.iface === UNIT) throw new Error(`${props[i]!.name}: ${a.error} ${a.message}`);
      return;
    }
    out[props[i]!.name] = String(a as DbusValue);
  });
  return out;
}
