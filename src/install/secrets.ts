// What headroom prints about a deployment hides the --env values (they may be API keys):
// dry-run output and `apply --json` show each name with HIDDEN unless --show-secrets.
import type { Manifest } from "./manifest.ts";

export const HIDDEN = "<hidden: --show-secrets prints it>";

/** The manifest with every --env value replaced by HIDDEN (names kept). */
export function maskManifest(m: Manifest): Manifest {
  return { ...m, env: Object.fromEntries(Object.keys(m.env).map((k) => [k, HIDDEN])) };
}

/** `text` with every --env value of `m` replaced by HIDDEN (values shorter than 4 characters are left: they say nothing). */
export function maskText(text: string, m: Pick<Manifest, "env">): string {
  let out = text;
  for (const v of Object.values(m.env).sort((a, b) => b.length - a.length)) {
    if (v.length >= 4) out = out.split(v).join(HIDDEN);
  }
  return out;
}
