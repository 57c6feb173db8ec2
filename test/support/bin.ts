// Locates and runs the compiled binary (npm test builds it first). HEADROOM_TEST_BIN
// points the tests at another build.
import { resolve } from "node:path";

export const repoRoot = resolve(import.meta.dir, "../..");
export const binPath = process.env.HEADROOM_TEST_BIN ?? resolve(repoRoot, "dist/headroom");

export interface BinResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runBin(
  argv: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number; stdin?: string } = {},
): Promise<BinResult> {
  const proc = Bun.spawn([binPath, ...argv], {
    env: { ...process.env, ...opts.env } as Record<string, string>,
    cwd: opts.cwd,
    stdin: opts.stdin !== undefined ? new TextEncoder().encode(opts.stdin) : "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: opts.timeoutMs ?? 60_000,
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}
