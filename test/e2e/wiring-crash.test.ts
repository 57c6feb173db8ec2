// Crash safety of applyWiring: a real child process applies the provider wiring of four
// tools and is SIGKILLed after the Nth file, between writes: its persist callback (the
// manifest write of test/support/wiring-child.ts) stops before it saves the record of file
// N+1, the test sees file N written and kills it. Every file is then either the original or
// fully applied, and revertWiring with the records the child persisted restores all of them
// byte for byte.
import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { ChangeRecord } from "../../src/edits/record.ts";
import { applyWiring, revertWiring, type WiringRequest } from "../../src/install/wiring.ts";

const FIX = resolve(import.meta.dir, "../fixtures/wiring");
const CHILD = resolve(import.meta.dir, "../support/wiring-child.ts");
const roots: string[] = [];
const children: { kill(sig?: number): void }[] = [];
afterAll(() => {
  children.forEach((c) => c.kill(9));
  roots.forEach((r) => rmSync(r, { recursive: true, force: true }));
});

function setup() {
  const home = mkdtempSync(join(tmpdir(), "headroom-crash-"));
  roots.push(home);
  const files = {
    claude: join(home, ".claude", "settings.json"),
    codex: join(home, ".codex", "config.toml"),
    opencode: join(home, ".config", "opencode", "opencode.json"),
    openclaw: join(home, ".openclaw", "openclaw.json"),
  };
  const sources: Record<keyof typeof files, string> = {
    claude: "claude-settings.json",
    codex: "codex-features.toml",
    opencode: "opencode.jsonc",
    openclaw: "openclaw.json5",
  };
  for (const k of Object.keys(files) as (keyof typeof files)[]) {
    mkdirSync(join(files[k], ".."), { recursive: true });
    writeFileSync(files[k], readFileSync(join(FIX, sources[k])));
  }
  const profileDir = join(home, ".headroom", "deploy", "default");
  mkdirSync(profileDir, { recursive: true });
  const req: WiringRequest = {
    scope: "provider",
    providers: "all",
    targets: [],
    port: 41999,
    host: "127.0.0.1",
    os: "linux",
    home,
    env: { HOME: home, PATH: "/nonexistent" },
    profileDir,
    isRoot: false,
  };
  const paths = Object.values(files);
  const originals = new Map(paths.map((p) => [p, readFileSync(p)]));
  return { home, req, paths, originals };
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

function readRecords(path: string): ChangeRecord[] {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return [];
  }
}

/** The first line a stream prints ("" when it ends first). */
async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of stream) {
    text += decoder.decode(chunk, { stream: true });
    if (text.includes("\n")) break;
  }
  return text.split("\n")[0]!;
}

async function waitFor(cond: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

describe("applyWiring crash safety", () => {
  for (const killAfter of [1, 2, 3]) {
    test(`SIGKILL after file ${killAfter} of 4: every file original or applied; revert restores all`, async () => {
      const { home, req, paths, originals } = setup();
      const recordsFile = join(home, "records.json");
      const child = Bun.spawn([process.execPath, CHILD, JSON.stringify(req), recordsFile, String(killAfter)], {
        stdout: "pipe",
        stderr: "pipe",
      });
      children.push(child);
      // The child says it stopped in the persist callback that follows file `killAfter`...
      expect(await firstLine(child.stdout)).toBe("paused");
      // ...and file number `killAfter` carries what its record says was written.
      await waitFor(() => {
        const recs = readRecords(recordsFile);
        const r = recs[killAfter - 1];
        return recs.length === killAfter && !!r && existsSync(r.path) && sha(readFileSync(r.path)) === r.appliedSha256;
      }, `file ${killAfter} to be written`);
      child.kill(9);
      expect(await child.exited).not.toBe(0);
      const records = readRecords(recordsFile);
      expect(records.length).toBe(killAfter);
      let applied = 0;
      for (const p of paths) {
        const now = readFileSync(p);
        const rec = records.find((r) => r.path === p);
        if (rec && sha(now) === rec.appliedSha256) applied++;
        else expect(now.equals(originals.get(p)!)).toBe(true);
      }
      expect(applied).toBe(killAfter);
      const { failed } = await revertWiring(records);
      expect(failed).toEqual([]);
      for (const p of paths) expect(readFileSync(p).equals(originals.get(p)!)).toBe(true);
    }, 60_000);
  }

  test("a crash after the record is persisted but before the file is written is undone too", async () => {
    const { req, paths, originals } = setup();
    let saved: ChangeRecord[] = [];
    const err = await applyWiring(req, async (records) => {
      saved = records;
      if (records.length === 3) throw new Error("simulated crash");
    }).catch((e) => e);
    expect(String(err)).toContain("simulated crash");
    expect(saved.length).toBe(3);
    // The third file was recorded (its backup saved) but never written.
    expect(readFileSync(saved[2]!.path).equals(originals.get(saved[2]!.path)!)).toBe(true);
    const { failed } = await revertWiring(saved);
    expect(failed).toEqual([]);
    for (const p of paths) expect(readFileSync(p).equals(originals.get(p)!)).toBe(true);
  });
});
