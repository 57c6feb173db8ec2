// Real-shaped inputs for the line-oriented compressors: a directory tree made on disk (then
// listed with the real ls / find), a git repository made with the real git, and text in
// the formats of tools that may be missing here (dpkg, docker, tree), built row by row.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)]!;
}

export const WORDS = ["cache", "router", "parser", "session", "upload", "billing", "search", "profile", "export", "webhook", "scheduler", "sidebar", "settings", "migration", "token", "locale"];

export function run(cmd: string[], cwd: string, env: Record<string, string> = {}): string {
  const p = Bun.spawnSync(cmd, { cwd, env: { ...process.env, LC_ALL: "C", TZ: "UTC", ...env }, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${p.stderr.toString()}`);
  return p.stdout.toString();
}

export function tempDir(prefix: string): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `headroom-${prefix}-`));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A project tree: src/{api,core,util,...}, docs, deploy/{prod,staging}, assets/... with
 * 10–25 files each. deploy/prod/config.yaml is 4321 bytes; deploy/staging/config.yaml
 * 1234 bytes; every other config.yaml has another size.
 */
export function makeTree(root: string): void {
  const r = rng(7);
  const dirs = ["src/api", "src/core", "src/util", "src/ui/widgets", "src/ui/pages", "docs/guide", "docs/api", "deploy/prod", "deploy/staging", "deploy/dev", "assets/img", "assets/fonts", "scripts", "test/unit", "test/e2e"];
  for (const d of dirs) {
    mkdirSync(join(root, d), { recursive: true });
    const count = 10 + Math.floor(r() * 15);
    for (let i = 0; i < count; i++) {
      const name = `${pick(r, WORDS)}-${i}.${pick(r, ["ts", "md", "json", "png", "sh"])}`;
      writeFileSync(join(root, d, name), "x".repeat(100 + Math.floor(r() * 5000)));
    }
    writeFileSync(join(root, d, "config.yaml"), "y".repeat(d === "deploy/prod" ? 4321 : d === "deploy/staging" ? 1234 : 2000 + dirs.indexOf(d)));
  }
}

/** `tree`'s format (the real tool where it is installed, else the same lines built here). */
export function treeOutput(root: string): string {
  if (Bun.which("tree")) return run(["tree", "--charset=utf-8", "-n", "."], root);
  let dirs = 0;
  let files = 0;
  const lines = ["."];
  const walk = (dir: string, prefix: string) => {
    const names = readdirSync(dir).sort();
    names.forEach((name, i) => {
      const last = i === names.length - 1;
      lines.push(`${prefix}${last ? "└── " : "├── "}${name}`);
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        dirs++;
        walk(path, `${prefix}${last ? "    " : "│   "}`);
      } else files++;
    });
  };
  walk(root, "");
  return `${lines.join("\n")}\n\n${dirs} directories, ${files} files\n`;
}

/**
 * A git repository with `count` commits by several authors; commit number `special` (1-based)
 * says "Fix the zeppelin hangar door race" and is the only one touching src/hangar.ts.
 */
export function makeRepo(root: string, count = 40, special = 23): void {
  const r = rng(11);
  const people = ["Alice Archer", "Bob Brown", "Carol Chen", "Dave Diaz"];
  run(["git", "init", "-q", "-b", "main"], root);
  mkdirSync(join(root, "src"), { recursive: true });
  for (let c = 1; c <= count; c++) {
    const author = pick(r, people);
    const env = {
      GIT_AUTHOR_NAME: author,
      GIT_AUTHOR_EMAIL: `${author.split(" ")[0]!.toLowerCase()}@example.org`,
      GIT_COMMITTER_NAME: author,
      GIT_COMMITTER_EMAIL: `${author.split(" ")[0]!.toLowerCase()}@example.org`,
      GIT_AUTHOR_DATE: `2026-03-${String(1 + (c % 28)).padStart(2, "0")}T10:00:00Z`,
      GIT_COMMITTER_DATE: `2026-03-${String(1 + (c % 28)).padStart(2, "0")}T10:00:00Z`,
    };
    let message: string;
    if (c === special) {
      writeFileSync(join(root, "src/hangar.ts"), ["export function openDoor(lock: Lock) {", "  if (lock.held) return false;", "  lock.take();", "  return true;", "}", ""].join("\n"));
      message = "Fix the zeppelin hangar door race\n\nThe door opened twice when two pilots pressed at once.";
    } else {
      const files = 1 + Math.floor(r() * 3);
      for (let f = 0; f < files; f++) {
        const name = `src/${pick(r, WORDS)}.ts`;
        const body = Array.from({ length: 20 + Math.floor(r() * 40) }, (_, i) => `export const ${pick(r, WORDS)}${i} = ${Math.floor(r() * 1000)};`).join("\n");
        writeFileSync(join(root, name), `${body}\n`);
      }
      message = `${pick(r, ["Improve", "Refactor", "Tidy", "Speed up", "Document"])} the ${pick(r, WORDS)} ${pick(r, WORDS)} module\n\nNothing urgent; see the design note ${c}.`;
    }
    run(["git", "add", "-A"], root, env);
    run(["git", "commit", "-q", "-m", message], root, env);
  }
}

/** `dpkg -l` as dpkg prints it; package `libzeppelin3` at row `special`, one row with an error word. */
export function dpkgList(rows = 200, special = 117): string {
  const r = rng(3);
  const out = [
    "Desired=Unknown/Install/Remove/Purge/Hold",
    "| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend",
    "|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)",
    "||/ Name                           Version                        Architecture Description",
    "+++-==============================-==============================-============-================================================================",
  ];
  for (let i = 0; i < rows; i++) {
    const name = i === special ? "libzeppelin3:amd64" : `lib${pick(r, WORDS)}${i}`;
    const version = i === special ? "3.0.13-1~deb12u1" : `${1 + Math.floor(r() * 9)}.${Math.floor(r() * 20)}.${Math.floor(r() * 9)}-${1 + Math.floor(r() * 4)}`;
    const desc = i === 60 ? "library whose post-install script failed" : `${pick(r, WORDS)} support library for the ${pick(r, WORDS)} stack`;
    out.push(`ii  ${name.padEnd(30)} ${version.padEnd(30)} ${pick(r, ["amd64", "all"]).padEnd(12)} ${desc}`);
  }
  return `${out.join("\n")}\n`;
}

/** `docker ps` as docker prints it (columns padded by three spaces); container `zeppelin-db` at `special`. */
export function dockerPs(rows = 60, special = 31): string {
  const r = rng(5);
  const data = Array.from({ length: rows }, (_, i) => [
    Array.from({ length: 12 }, () => "0123456789abcdef"[Math.floor(r() * 16)]).join(""),
    i === special ? "postgres:16" : `registry.example.org/${pick(r, WORDS)}:${1 + Math.floor(r() * 9)}.${Math.floor(r() * 9)}`,
    `"${pick(r, ["/entrypoint.sh", "node server.js", "nginx -g 'daemon …'", "python app.py"])}"`,
    `${1 + Math.floor(r() * 9)} days ago`,
    i === 44 ? "Exited (1) 2 hours ago" : `Up ${1 + Math.floor(r() * 9)} days`,
    i % 3 === 0 ? "" : `0.0.0.0:${8000 + i}->80/tcp`,
    i === special ? "zeppelin-db" : `${pick(r, WORDS)}_${pick(r, WORDS)}_${i}`,
  ]);
  const header = ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"];
  const widths = header.map((h, c) => Math.max(h.length, ...data.map((d) => d[c]!.length)));
  const fmt = (cells: string[]) => cells.map((v, c) => (c === cells.length - 1 ? v : v.padEnd(widths[c]! + 3))).join("");
  return `${[fmt(header), ...data.map(fmt)].join("\n")}\n`;
}

/** `ps aux` as procps prints it; process `zeppelind` at `special`. */
export function psAux(rows = 120, special = 77): string {
  const r = rng(9);
  const out = ["USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND"];
  for (let i = 0; i < rows; i++) {
    const cmd = i === special ? "/usr/sbin/zeppelind --hangar 7 --foreground" : pick(r, ["[kworker/0:1-events]", "/usr/lib/systemd/systemd-journald", "node /srv/app/server.js", "sshd: admin [priv]", "-bash", "/usr/bin/python3 worker.py"]);
    const pid = 1 + i * 37;
    out.push(
      `${pick(r, ["root", "www-data", "admin"]).padEnd(8)} ${String(pid).padStart(7)} ${(r() * 5).toFixed(1).padStart(4)} ${(r() * 3).toFixed(1).padStart(4)} ${String(Math.floor(r() * 900000)).padStart(6)} ${String(Math.floor(r() * 90000)).padStart(5)} ${pick(r, ["?", "pts/0"]).padEnd(8)} ${pick(r, ["Ss", "S", "R", "Sl"]).padEnd(4)} ${"10:0" + (i % 10)}   ${`0:${String(i % 60).padStart(2, "0")}`} ${cmd}`,
    );
  }
  return `${out.join("\n")}\n`;
}
