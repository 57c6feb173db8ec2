// The one executor: steps run in order; a step that must work and fails undoes what ran,
// in reverse, then runs afterUndo; a removal tries everything and reports the failures
// together; retries, the `otherwise` branch, warnings and what steps record.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HeadroomError } from "../../../src/errors.ts";
import { execute } from "../../../src/install/executor.ts";
import { type Plan, run } from "../../../src/install/steps.ts";
import { recordingRunner } from "../../support/recording-runner.ts";
import { manifest } from "../platforms/fixtures.ts";

const dir = mkdtempSync("/tmp/headroom-exec-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const m = manifest({ os: "linux" });
const quick = { sleep: async () => {}, portFree: async () => true, stopRuntime: async () => {}, ensureRuntime: async () => {} };

describe("execute", () => {
  test("runs the steps in order and records files, sets and kept output", async () => {
    const rr = recordingRunner([{ match: ["docker", "run"], stdout: "0123456789abcdef\n" }]);
    const plan: Plan = {
      steps: [{ do: "write", path: join(dir, "a", "unit"), content: "x\n", mode: 0o640 }, run(["docker", "run"], { keep: "containerId" }), run(["loginctl", "enable-linger", "u"], { sets: { linger: "yes" } })],
      record: { kind: "docker" },
    };
    const out = await execute(plan, { manifest: m, env: {}, run: rr.run }, quick);
    expect(rr.argvs()).toEqual([["docker", "run"], ["loginctl", "enable-linger", "u"]]);
    expect(readFileSync(join(dir, "a", "unit"), "utf8")).toBe("x\n");
    expect(out.record).toEqual({ kind: "docker", containerId: "0123456789ab", linger: "yes", files: [{ path: join(dir, "a", "unit"), existed: false }] });
  });

  test("a failing step undoes what ran in reverse (files back, undo commands), then afterUndo; later steps never run", async () => {
    const kept = join(dir, "kept");
    writeFileSync(kept, "old bytes");
    const fresh = join(dir, "fresh");
    const rr = recordingRunner([{ match: ["fail"], code: 3, stderr: "it broke\nmore" }]);
    const plan: Plan = {
      steps: [
        { do: "write", path: kept, content: "new bytes", mode: 0o644 },
        { do: "write", path: fresh, content: "y", mode: 0o644 },
        run(["create", "t"], { undo: [run(["delete", "t"])] }),
        run(["fail"]),
        run(["never"]),
      ],
      afterUndo: [run(["reload"])],
    };
    const err = await execute(plan, { manifest: m, env: {}, run: rr.run }, quick).catch((e) => e);
    expect(err).toBeInstanceOf(HeadroomError);
    expect(err.message).toBe("`fail` failed: it broke");
    expect(rr.argvs()).toEqual([["create", "t"], ["fail"], ["delete", "t"], ["reload"]]);
    expect(readFileSync(kept, "utf8")).toBe("old bytes");
    expect(existsSync(fresh)).toBe(false);
  });

  test("a hook that throws (the runtime does not come up) undoes what ran too", async () => {
    const f = join(dir, "hooked");
    const plan: Plan = { steps: [{ do: "write", path: f, content: "z", mode: 0o644 }, { do: "ensure-runtime" }] };
    const err = await execute(plan, { manifest: m, env: {}, run: recordingRunner().run }, { ...quick, ensureRuntime: async () => { throw new HeadroomError("not healthy"); } }).catch((e) => e);
    expect(err.message).toBe("not healthy");
    expect(existsSync(f)).toBe(false);
  });

  test("ignore and warn go on; an accepted code or alsoOk is success", async () => {
    const rr = recordingRunner([{ match: ["a"], code: 1 }, { match: ["b"], code: 1 }, { match: ["c"], code: 3 }, { match: ["d"], code: 9, stderr: "not loaded" }]);
    const out = await execute(
      { steps: [run(["a"], { onFail: "ignore" }), run(["b"], { onFail: { warn: "b did not work." } }), run(["c"], { ok: [0, 3] }), run(["d"], { alsoOk: { when: "not loaded", test: (r) => /not loaded/.test(r.stderr) } })], warnings: ["known first."] },
      { manifest: m, env: {}, run: rr.run },
      quick,
    );
    expect(out.warnings).toEqual(["known first.", "b did not work."]);
    expect(rr.argvs()).toEqual([["a"], ["b"], ["c"], ["d"]]);
  });

  test("retry while the code says so, then the otherwise branch in place of a step", async () => {
    const rr = recordingRunner([{ match: ["boot"], code: 5, times: 2 }, { match: ["kick"], code: 113 }]);
    const slept: number[] = [];
    await execute({ steps: [run(["boot"], { retry: { codes: [5], forMs: 2000, everyMs: 500 } }), run(["kick"], { otherwise: { codes: [113], then: run(["boot", "again"]) } })] }, { manifest: m, env: {}, run: rr.run }, { ...quick, sleep: async (ms) => void slept.push(ms) });
    expect(rr.argvs()).toEqual([["boot"], ["boot"], ["boot"], ["kick"], ["boot", "again"]]);
    expect(slept).toEqual([500, 500]);
  });

  test("a removal (bestEffort) tries every step and reports every failure in one sentence", async () => {
    const rr = recordingRunner([{ match: ["x"], code: 1, stderr: "x failed here" }, { match: ["y"], code: 1, stderr: "y too" }]);
    const err = await execute({ steps: [run(["x"]), { do: "stop-runtime" }, run(["y"]), run(["z"])], bestEffort: "Removing it was incomplete", failed: ["could not read it"] }, { manifest: m, env: {}, run: rr.run }, quick).catch((e) => e);
    expect(rr.argvs()).toEqual([["x"], ["y"], ["z"]]);
    expect(err.message).toBe("Removing it was incomplete: could not read it; `x` failed: x failed here; `y` failed: y too.");
  });

  test("a port that stays taken is the step's own sentence", async () => {
    const err = await execute({ steps: [{ do: "wait-port-free", port: 1, failure: "Port 1 is still in use." }] }, { manifest: m, env: {}, run: recordingRunner().run }, { ...quick, portFree: async () => false }).catch((e) => e);
    expect(err.message).toBe("Port 1 is still in use.");
  });
});
