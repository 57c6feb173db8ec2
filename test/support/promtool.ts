// The official Prometheus text-format parser and linter, `promtool check metrics` (Debian
// package prometheus, installed by .ci/run): exit 1 on a parse error, 3 on lint findings
// (a counter without _total, a family without HELP, ...). null where promtool is absent.
export const promtool = Bun.which("promtool");

if (promtool === null && process.env.CI) throw new Error("promtool is required in CI (Debian package prometheus)");

/** promtool's verdict on an exposition: exit code and findings (empty when clean). */
export async function promtoolCheck(text: string): Promise<{ code: number; findings: string }> {
  const p = Bun.spawn([promtool!, "check", "metrics"], { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, findings: (out + err).trim() };
}
