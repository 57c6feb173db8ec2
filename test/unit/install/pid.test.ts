// A runtime that exited but was not reaped yet (its parent is elsewhere) is gone for
// stop/restart: they must not wait on the reaper.
import { expect, test } from "bun:test";
import { isPidAlive } from "../../../src/host/fs.ts";
import { isRunning } from "../../../src/install/pid.ts";

test.skipIf(process.platform !== "linux")("a zombie is not running; a live process is", async () => {
  // `sleep 0.05` becomes the child of `sleep 3` (after exec), which never reaps it.
  const p = Bun.spawn(["sh", "-c", "sleep 0.05 & echo $!; exec sleep 3"], { stdout: "pipe" });
  const reader = p.stdout.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  const zombie = Number(first.trim());
  await Bun.sleep(300);
  expect(isPidAlive(zombie)).toBe(true);
  expect(isRunning(zombie)).toBe(false);
  expect(isRunning(p.pid)).toBe(true);
  p.kill("SIGKILL");
  await p.exited;
  expect(isRunning(p.pid)).toBe(false);
});
