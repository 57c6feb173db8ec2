// `install apply` and `headroom proxy` validate the proxy's flags with the same code: the
// same values pass, the same values fail with the same sentence.
import { expect, test } from "bun:test";
import { proxyFlagsFromArgs } from "../../../src/cli/proxy-flags.ts";
import { buildManifest } from "../../../src/install/plan.ts";

const env = { HOME: "/home/u", HEADROOM_WORKSPACE_DIR: "/home/u/.headroom" };

function message(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    expect((err as { exitCode?: number }).exitCode).toBe(2);
    return (err as Error).message;
  }
}

const cases: [string, string, keyof Parameters<typeof buildManifest>[0]][] = [
  ["mode", "fast", "mode"],
  ["mode", "cache", "mode"],
  ["log-level", "loud", "logLevel"],
  ["log-level", "DEBUG", "logLevel"],
  ["log-level", "warning", "logLevel"],
  ["anthropic-api-url", "ftp://x", "anthropicApiUrl"],
  ["anthropic-api-url", "not a url", "anthropicApiUrl"],
  ["openai-api-url", "http://127.0.0.1:9/v1", "openaiApiUrl"],
  ["port", "0", "port"],
  ["port", "65535", "port"],
];

test.each(cases)("--%s %s: both commands accept or refuse it alike", (flag, value, option) => {
  const asProxy = message(() => proxyFlagsFromArgs({ [flag]: value }, [`--${flag}`, value]));
  const asInstall = message(() => buildManifest({ [option]: value }, env, "/bin/h"));
  expect(asInstall).toBe(asProxy);
  if (asProxy) expect(asProxy).toContain(`--${flag}`);
});

test("install records what the proxy would run with: the mode, a lower-case log level, the URLs", () => {
  const { manifest } = buildManifest({ mode: "cache", logLevel: "DEBUG", anthropicApiUrl: "https://a.example/" }, env, "/bin/h");
  expect(manifest.proxy).toMatchObject({ mode: "cache", logLevel: "debug", anthropicApiUrl: "https://a.example/" });
  expect(proxyFlagsFromArgs({ mode: "cache", "anthropic-api-url": "https://a.example/" }, [])).toMatchObject({ mode: "cache", anthropicApiUrl: "https://a.example/" });
});
