// Start-up cost of the executable: `headroom --version` and `headroom install status`
// against a compiled Bun hello-world built in this run (the floor for any `bun build
// --compile` binary), alternated run by run. Target: within 1.5x of hello-world.
//   bun bench/startup.ts     (HEADROOM_BIN overrides dist/headroom; RUNS)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, fmt, percentile } from "./support/common.ts";

const RUNS = Number(process.env.RUNS ?? 30);
const dir = mkdtempSync(join(tmpdir(), "headroom-bench-startup-"));

try {
  const src = join(dir, "hello.ts");
  writeFileSync(src, 'console.log("hello");\n');
  const hello = join(dir, "hello");
  const build = Bun.spawnSync([process.execPath, "build", "--compile", "--minify", src, "--outfile", hello], { stdout: "pipe", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(`could not build the hello-world: ${build.stderr.toString()}`);

  const env = { ...process.env, HOME: dir, HEADROOM_WORKSPACE_DIR: join(dir, ".headroom") } as Record<string, string>;
  const cases: Record<string, string[]> = {
    "hello-world": [hello],
    "headroom --version": [BIN, "--version"],
    "headroom install status": [BIN, "install", "status"],
  };
  const times: Record<string, number[]> = {};
  const run = (argv: string[]) => {
    const t0 = performance.now();
    Bun.spawnSync(argv, { env, stdout: "ignore", stderr: "ignore" });
    return performance.now() - t0;
  };
  for (const argv of Object.values(cases)) for (let i = 0; i < 3; i++) run(argv); // warm the page cache
  const names = Object.keys(cases);
  for (let i = 0; i < RUNS; i++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length]!;
      (times[name] ??= []).push(run(cases[name]!));
    }
  }
  console.log(`headroom: ${BIN}; ${RUNS} runs each, alternated`);
  const base = percentile(times["hello-world"]!, 0.5);
  for (const name of names) {
    const p50 = percentile(times[name]!, 0.5);
    const ratio = p50 / base;
    const verdict = name === "hello-world" ? "" : ratio <= 1.5 ? "OK" : "MISSED";
    console.log(`${name.padEnd(24)} p50 ${fmt(p50, 2).padStart(7)} ms  p90 ${fmt(percentile(times[name]!, 0.9), 2).padStart(7)} ms  ${fmt(ratio, 2)}x hello-world ${name === "hello-world" ? "" : "(target <= 1.5x)"} ${verdict}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
