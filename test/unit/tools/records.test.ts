// The change-record schema (src/edits/record.ts) and the engine's records.json: records as
// earlier versions stored them load with every key and value kept, the data is typed by
// its kind, and a missing or unreadable records.json means no earlier run.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { applyPlannedFiles, planFile } from "../../../src/edits/engine.ts";
import { jsonKeysEdit } from "../../../src/edits/json-keys.ts";
import { ChangeRecordSchema, fileChangeData, type ChangeRecord } from "../../../src/edits/record.ts";
import { windowsEnvRecord } from "../../../src/install/scopes/windows-env.ts";

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

// One record of each kind as the code before the typed schema wrote them (paths shortened),
// with a key this version does not know at the record and at the data level.
const STORED = [
  {
    adapter: "claude-settings", path: "/h/.claude/settings.json", existed: true, appliedSha256: "1eba",
    data: {
      format: "json",
      entries: [
        { path: ["env", "ANTHROPIC_BASE_URL"], value: "http://127.0.0.1:41999", hadPrevious: true, previous: "https://gateway.example.com" },
        { path: ["env", "ENABLE_TOOL_SEARCH"], value: "true", hadPrevious: false },
      ],
      created: [], kind: "json-keys", configuredPath: "/h/.claude/settings.json", stateDir: "/h/.headroom/deploy/default/wiring", laterKey: { x: 1 },
    },
    backup: "/h/.headroom/deploy/default/wiring/backups/claude-settings-settings.json-cf4d1e6417e4.orig",
    laterField: "kept",
  },
  {
    adapter: "codex-config", path: "/h/.codex/config.toml", existed: true, appliedSha256: "3f68",
    data: {
      rootKeys: [{ key: "model_provider", literal: '"headroom"', previous: 'model_provider = "openai"' }, { key: "openai_base_url", literal: '"http://127.0.0.1:41999/v1"' }],
      tables: [{ name: "model_providers.headroom", text: '[model_providers.headroom]\nname = "Headroom"\n', separator: "\n" }],
      kind: "toml-keys", configuredPath: "/h/.codex/config.toml", stateDir: "/h/.headroom/deploy/default/wiring",
    },
    backup: "/h/.headroom/deploy/default/wiring/backups/codex-config-config.toml-965f31898b8e.orig",
  },
  {
    adapter: "opencode-config", path: "/h/.config/opencode/opencode.json", existed: false, appliedSha256: "30ee",
    data: {
      format: "jsonc",
      entries: [{ path: ["provider", "headroom"], value: { npm: "@ai-sdk/openai-compatible", options: { baseURL: "http://127.0.0.1:41999/v1" } }, hadPrevious: false }],
      created: [["provider"]], kind: "json-keys", configuredPath: "/h/.config/opencode/opencode.json", createdDirs: ["/h/.config/opencode"], stateDir: "/h/.headroom/deploy/default/wiring",
    },
  },
  {
    adapter: "fish-block", path: "/h/.config/fish/conf.d/headroom.fish", existed: false, appliedSha256: "cac1",
    data: {
      start: "# >>> headroom persistent env >>>", end: "# <<< headroom persistent env <<<",
      lines: ["# >>> headroom persistent env >>>", "set -gx HEADROOM_PORT '41999'", "# <<< headroom persistent env <<<"],
      separator: "", kind: "shell-block", configuredPath: "/h/.config/fish/conf.d/headroom.fish", createdDirs: ["/h/.config/fish/conf.d"], stateDir: "/h/.headroom/deploy/default/wiring",
    },
  },
  {
    adapter: "windows-env", path: "HKCU\\Environment", existed: true, appliedSha256: "aebb",
    data: {
      kind: "windows-env", scope: "User", values: { ANTHROPIC_BASE_URL: "http://127.0.0.1:1" }, previous: { ANTHROPIC_BASE_URL: null, OPENAI_BASE_URL: "x" },
      restore: ["powershell.exe", "-Command", "[Environment]::SetEnvironmentVariable('ANTHROPIC_BASE_URL', $null, 'User')"],
    },
  },
];

describe("change records", () => {
  test("records as stored load with every key and value, and write back as the same JSON", () => {
    for (const stored of STORED) {
      const parsed = v.safeParse(ChangeRecordSchema, JSON.parse(JSON.stringify(stored)));
      expect(parsed.success).toBe(true);
      expect(parsed.output).toEqual(stored as never);
      // Data keys in the order they were written (the record's own keys: backup comes before appliedSha256, as before).
      expect(Object.keys((parsed.output as ChangeRecord).data!)).toEqual(Object.keys(stored.data));
    }
  });

  test("a kind check types the data", () => {
    const [claude, codex, , fish, win] = STORED.map((s) => v.parse(ChangeRecordSchema, s));
    const d = claude!.data!;
    if (d.kind !== "json-keys") throw new Error("expected json-keys");
    expect(d.entries[0]!.path).toEqual(["env", "ANTHROPIC_BASE_URL"]);
    expect(d.format).toBe("json");
    const t = codex!.data!;
    if (t.kind !== "toml-keys") throw new Error("expected toml-keys");
    expect(t.rootKeys[0]!.previous).toBe('model_provider = "openai"');
    expect(fileChangeData(fish!)?.createdDirs).toEqual(["/h/.config/fish/conf.d"]);
    const w = win!.data!;
    if (w.kind !== "windows-env") throw new Error("expected windows-env");
    expect(w.previous.ANTHROPIC_BASE_URL).toBeNull();
    expect(fileChangeData(win!)).toBeUndefined();
  });

  test("the Windows record the scope builds is one the schema reads back", () => {
    const rec = windowsEnvRecord("Machine", { A: "1" }, { A: null });
    expect(v.parse(ChangeRecordSchema, JSON.parse(JSON.stringify(rec)))).toEqual(rec);
  });

  test("data of a kind no adapter writes, or missing a field its kind needs, is refused", () => {
    const base = STORED[0]!;
    expect(v.safeParse(ChangeRecordSchema, { ...base, data: { ...base.data, kind: "yaml-keys" } }).success).toBe(false);
    expect(v.safeParse(ChangeRecordSchema, { ...base, data: { ...base.data, entries: undefined } }).success).toBe(false);
    // A record without data (the schema has always allowed it) still loads.
    const { data: _data, ...bare } = base;
    expect(v.safeParse(ChangeRecordSchema, bare).success).toBe(true);
  });
});

describe("records.json", () => {
  function setup() {
    const root = mkdtempSync(join(tmpdir(), "headroom-records-"));
    roots.push(root);
    const file = join(root, "settings.json");
    const original = '{\n  "model": "x"\n}\n';
    writeFileSync(file, original);
    const stateDir = join(root, "state");
    const edit = jsonKeysEdit("claude-settings", file, "json", [{ path: ["env", "ANTHROPIC_BASE_URL"], value: "http://127.0.0.1:1" }]);
    return { file, original, stateDir, edit };
  }

  test("a re-apply starts from the original the earlier run recorded", async () => {
    const { file, original, stateDir, edit } = setup();
    await applyPlannedFiles([await planFile(edit, stateDir)], stateDir, async () => {});
    expect(readFileSync(file, "utf8")).not.toBe(original);
    const again = await planFile(edit, stateDir);
    expect(Buffer.from(again.original!).toString("utf8")).toBe(original);
  });

  test("missing, unparsable or not an array of records: no earlier run, the file as it is now is the original", async () => {
    for (const content of [null, "not json", "{}", '[{"path": 1}]', "[1, 2]"]) {
      const { file, original, stateDir, edit } = setup();
      await applyPlannedFiles([await planFile(edit, stateDir)], stateDir, async () => {});
      const applied = readFileSync(file, "utf8");
      expect(applied).not.toBe(original);
      if (content === null) rmSync(join(stateDir, "records.json"));
      else writeFileSync(join(stateDir, "records.json"), content);
      const again = await planFile(edit, stateDir);
      expect(Buffer.from(again.original!).toString("utf8")).toBe(applied);
      expect(again.existed).toBe(true);
    }
  });

  test("records.json is written back as a JSON array of the records", async () => {
    const { stateDir, edit } = setup();
    mkdirSync(stateDir, { recursive: true });
    const records = await applyPlannedFiles([await planFile(edit, stateDir)], stateDir, async () => {});
    expect(JSON.parse(readFileSync(join(stateDir, "records.json"), "utf8"))).toEqual(records);
  });
});
