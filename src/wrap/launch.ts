// Runs the tool in the foreground: inherited stdio, same process group, the proxy's
// variables on top of the inherited environment. Returns the tool's exit code, 128+N
// when it died of signal N.
import type { SignalGuard } from "./signals.ts";
import { signalNumber } from "./signals.ts";
import { HeadroomError } from "../errors.ts";

export async function launchTool(
  argv: string[],
  env: Record<string, string | undefined>,
  guard: SignalGuard,
): Promise<number> {
  let child;
  try {
    child = Bun.spawn(argv, {
      env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>,
      stdio: ["inherit", "inherit", "inherit"],
    });
  } catch (err) {
    throw new HeadroomError(`Could not start ${argv[0]}: ${(err as Error).message}.`);
  }
  guard.attach(child);
  // A SIGTERM that came in while the tool was being spawned still reaches it.
  if (guard.signal && guard.signal !== "SIGINT") child.kill(guard.signal);
  try {
    await child.exited;
  } finally {
    guard.attach(null);
  }
  const sig = child.signalCode as string | number | null;
  if (sig) return 128 + (typeof sig === "number" ? sig : signalNumber(sig));
  return child.exitCode ?? 1;
}
