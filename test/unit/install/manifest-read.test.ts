// readManifest (the Bun.file read `install status` uses) gives the same manifest and the
// same errors as the store's loadManifest.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readManifest } from "../../../src/install/manifest-read.ts";
import { buildManifest } from "../../../src/install/plan.ts";
import { CorruptManifestError, loadManifest, saveManifest } from "../../../src/install/store.ts";
import { UsageError } from "../../../src/errors.ts";

const root = mkdtempSync(join(tmpdir(), "headroom-manifest-read-"));
const env = { HOME: root, HEADROOM_WORKSPACE_DIR: join(root, "ws") };
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function both(profile: string): Promise<[unknown, unknown]> {
  const outcome = async (f: () => unknown) => {
    try {
      return { ok: await f() };
    } catch (err) {
      return { err: err as Error };
    }
  };
  return [await outcome(() => loadManifest(profile, env)), await outcome(() => readManifest(profile, env))];
}

describe("readManifest", () => {
  test("a saved manifest reads back the same as loadManifest", async () => {
    const m = buildManifest({ profile: "p1", providers: "manual", targets: ["claude"], port: "9912" }, env, "/opt/headroom").manifest;
    saveManifest(m, env);
    const [a, b] = await both("p1");
    expect((b as { ok: unknown }).ok).toEqual((a as { ok: unknown }).ok);
    expect((b as { ok: { port: number } }).ok.port).toBe(9912);
  });

  test("a missing profile: the same message and hint", async () => {
    const [a, b] = (await both("nope")) as [{ err: Error & { hint?: string } }, { err: Error & { hint?: string } }];
    expect(b.err.message).toBe(a.err.message);
    expect(b.err.message).toContain('No deployment profile "nope"');
    expect(b.err.hint).toBe(a.err.hint!);
    // A directory where the file belongs is said to be one, by both readers, not a missing profile.
    mkdirSync(join(root, "ws", "deploy", "dir", "manifest.json"), { recursive: true });
    const [c, d] = (await both("dir")) as [{ err: Error & { hint?: string } }, { err: Error & { hint?: string } }];
    expect(d.err.message).toBe(`${join(root, "ws", "deploy", "dir", "manifest.json")} is a folder, not a file.`);
    expect(c.err.message).toBe(d.err.message);
    expect(c.err.hint).toBe(d.err.hint!);
  });

  test("a corrupt file, a byte order mark and a bad name fail the same way", async () => {
    const dir = join(root, "ws", "deploy", "bad");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "manifest.json"), '{"schemaVersion": 1}');
    let [a, b] = (await both("bad")) as [{ err: Error }, { err: Error }];
    expect(b.err).toBeInstanceOf(CorruptManifestError);
    expect(b.err.message).toBe(a.err.message);
    writeFileSync(join(dir, "manifest.json"), "\uFEFF{}");
    [a, b] = (await both("bad")) as [{ err: Error }, { err: Error }];
    expect(b.err).toBeInstanceOf(CorruptManifestError);
    expect(b.err.message).toBe(a.err.message);
    [a, b] = (await both("..")) as [{ err: Error }, { err: Error }];
    expect(b.err).toBeInstanceOf(UsageError);
    expect(b.err.message).toBe(a.err.message);
  });
});
