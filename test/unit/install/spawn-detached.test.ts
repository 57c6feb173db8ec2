// The watchdog's detached runtime start: its own session, output appended to runner.log,
// and the options that keep a console window from opening on Windows.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { detachedSpawnOptions, spawnDetached } from "../../../src/install/runtime-process.ts";
import { waitFor } from "../../../src/host/net.ts";

const dir = mkdtempSync("/tmp/headroom-spawn-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the spawn options hide the window and detach, with stdin ignored and output to the log", () => {
  const o = detachedSpawnOptions(["/bin/true"], { A: "1", B: undefined }, 7);
  expect(o).toMatchObject({ detached: true, windowsHide: true, windowsVerbatimArguments: false, stdin: "ignore", stdout: 7, stderr: 7 });
  expect(o.env).toEqual({ A: "1" });
});

test.skipIf(process.platform === "win32")("spawnDetached starts a process in its own session whose output is appended to runner.log", async () => {
  const env = { ...process.env, HEADROOM_WORKSPACE_DIR: dir };
  mkdirSync(join(dir, "deploy", "p"), { recursive: true });
  const pid = spawnDetached(["sh", "-c", 'echo "pid=$$ sid=$(ps -o sid= -p $$ | tr -d " ")"'], "p", env);
  const log = join(dir, "deploy", "p", "runner.log");
  const line = await waitFor(async () => /pid=\d+ sid=\d+/.exec(readFileSync(log, "utf8"))?.[0] ?? null, 10_000, 20);
  expect(line).toBe(`pid=${pid} sid=${pid}`);
});
