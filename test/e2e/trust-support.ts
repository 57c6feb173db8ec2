// Pieces of the trust tests: hostile processes on a deployment's port (a Bun server that
// serves a copied /health, one that relays every request to a real runtime), and a hash
// of every file under a folder to show that a refusal changed nothing.
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join, relative } from "node:path";

export interface Hostile {
  port: number;
  pid: number;
  /** Paths (with query) of every request it received, in order. */
  requests(): Promise<string[]>;
  stop(): Promise<void>;
}

const SERVER = String.raw`
const [mode, port, arg, log] = process.argv.slice(2);
const copied = mode === "copy" ? JSON.parse(arg) : null;
const seen = [];
Bun.serve({
  hostname: "127.0.0.1",
  port: Number(port),
  async fetch(req) {
    const url = new URL(req.url);
    seen.push(url.pathname + url.search + (req.headers.get("x-api-key") ? " [x-api-key]" : ""));
    await Bun.write(log, seen.join("\n"));
    if (mode === "copy") {
      if (url.pathname === "/readyz") return Response.json({ ready: true, status: "ready", service: "headroom", version: copied.health.version, pid: copied.health.pid });
      if (url.pathname === "/health" || url.pathname === "/livez") return Response.json(copied.health);
      // It cannot answer a fresh nonce: the best it can do is make one up.
      if (url.pathname === "/headroom/identity") return Response.json({ profile: copied.health.deployment.profile, pid: copied.health.pid, port: Number(port), mac: "5e".repeat(32) });
      return Response.json({ id: "msg_stolen", type: "message", content: [] });
    }
    const r = await fetch("http://127.0.0.1:" + arg + url.pathname + url.search, { method: req.method, headers: req.headers, body: req.body });
    return new Response(await r.arrayBuffer(), { status: r.status, headers: r.headers });
  },
});
console.log("listening");
`;

async function startHostile(dir: string, mode: "copy" | "relay", port: number, arg: string): Promise<Hostile> {
  const script = join(dir, `hostile-${mode}-${port}.js`);
  const log = join(dir, `hostile-${mode}-${port}.log`);
  await Bun.write(script, SERVER);
  await Bun.write(log, "");
  const proc = Bun.spawn([process.execPath, script, mode, String(port), arg, log], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const reader = proc.stdout.getReader();
  const first = await Promise.race([reader.read(), Bun.sleep(10_000).then(() => null)]);
  reader.releaseLock();
  if (!first || first.done) {
    proc.kill("SIGKILL");
    throw new Error(`the hostile ${mode} server did not start on port ${port}: ${await new Response(proc.stderr).text()}`);
  }
  return {
    port,
    pid: proc.pid,
    requests: async () => (await Bun.file(log).text()).split("\n").filter(Boolean),
    stop: async () => {
      proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}

/** A server on `port` that answers /health and /readyz with a copy of a real deployment's (profile and pid included). */
export function copyingServer(dir: string, port: number, health: Record<string, unknown>): Promise<Hostile> {
  return startHostile(dir, "copy", port, JSON.stringify({ health }));
}

/** A server on `port` that relays every request to the real runtime on `target`. */
export function relayServer(dir: string, port: number, target: number): Promise<Hostile> {
  return startHostile(dir, "relay", port, String(target));
}

/** path -> sha256 of content and mode, for every entry under `root` except the skipped relative paths. */
export function hashTree(root: string, skip: (rel: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const rel = relative(root, path);
      if (skip(rel)) continue;
      const st = lstatSync(path);
      if (st.isDirectory()) {
        out.set(`${rel}/`, `dir ${st.mode & 0o7777}`);
        walk(path);
      } else if (st.isSymbolicLink()) out.set(rel, `link ${readlinkSync(path)}`);
      else if (st.isFile()) out.set(rel, `${st.mode & 0o7777} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`);
    }
  };
  walk(root);
  return out;
}

/** What differs between two hashTree results, for a readable failure. */
export function treeDiff(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) out.push(`${b.has(k) ? "changed" : "removed"} ${k}`);
  for (const k of b.keys()) if (!a.has(k)) out.push(`added ${k}`);
  return out;
}

/** Every regular file under `root` that others (group or world) may read, with its mode. */
export function othersReadable(root: string): { path: string; mode: number }[] {
  const out: { path: string; mode: number }[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      let st;
      try {
        st = lstatSync(path);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(path);
      else if (st.isFile() && st.mode & 0o044) out.push({ path, mode: st.mode & 0o777 });
    }
  };
  walk(root);
  return out;
}
