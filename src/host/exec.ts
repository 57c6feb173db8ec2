// Running external commands. Everything that shells out goes through a CommandRunner so
// tests can record the exact argument vectors and answer like the real tools do.
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
}

export type CommandRunner = (argv: string[], opts?: RunOptions) => Promise<CommandResult>;

/** Runs a command to completion, capturing its output. A missing binary is code 127. */
export const runCommand: CommandRunner = async (argv, opts = {}) => {
  let proc;
  try {
    proc = Bun.spawn(argv, {
      env: (opts.env ?? process.env) as Record<string, string>,
      cwd: opts.cwd,
      stdin: opts.input !== undefined ? new TextEncoder().encode(opts.input) : "ignore",
      stdout: "pipe",
      stderr: "pipe",
      timeout: opts.timeoutMs,
    });
  } catch (err) {
    return { code: 127, stdout: "", stderr: `${argv[0]}: ${(err as Error).message}` };
  }
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
};

/** The first match of `name` on PATH, or null. */
export function which(name: string, env: Record<string, string | undefined> = process.env): string | null {
  return Bun.which(name, { PATH: env.PATH ?? "" });
}
