// A small unified diff (LCS over lines) for `apply --dry-run`. Files here are small.
export function unifiedDiff(path: string, before: string | null, after: string, context = 3): string {
  const a = before === null ? [] : splitLines(before);
  const b = splitLines(after);
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  type Op = { t: " " | "-" | "+"; line: string; ai: number; bi: number };
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ t: " ", line: a[i]!, ai: i++, bi: j++ });
    else if (j < m && (i >= n || lcs[i]![j + 1]! > lcs[i + 1]![j]!)) ops.push({ t: "+", line: b[j]!, ai: i, bi: j++ });
    else ops.push({ t: "-", line: a[i]!, ai: i++, bi: j });
  }
  // git's a/ and b/ prefixes; a Windows path (C:\...) gets them with a separator too.
  const rel = path.startsWith("/") ? path : `/${path}`;
  const header = [`--- ${before === null ? "/dev/null" : `a${rel}`}`, `+++ b${rel}`];
  if (!ops.some((o) => o.t !== " ")) return "";
  const out = [...header];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.t === " ") { k++; continue; }
    let start = Math.max(0, k - context);
    let end = k;
    // extend the hunk while changes are within 2*context lines of each other
    for (;;) {
      let next = end;
      while (next < ops.length && ops[next]!.t !== " ") next++;
      let gap = next;
      while (gap < ops.length && ops[gap]!.t === " ") gap++;
      if (gap < ops.length && gap - next <= 2 * context) { end = gap; continue; }
      end = Math.min(ops.length, next + context);
      break;
    }
    const hunk = ops.slice(start, end);
    const aStart = hunk[0]!.ai;
    const bStart = hunk[0]!.bi;
    const aLen = hunk.filter((o) => o.t !== "+").length;
    const bLen = hunk.filter((o) => o.t !== "-").length;
    out.push(`@@ -${aLen ? aStart + 1 : aStart},${aLen} +${bLen ? bStart + 1 : bStart},${bLen} @@`);
    for (const o of hunk) out.push(`${o.t}${o.line}`);
    k = end;
    start = end;
  }
  return out.join("\n") + "\n";
}

function splitLines(s: string): string[] {
  if (s === "") return [];
  const lines = s.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  else lines[lines.length - 1] += "\n\\ No newline at end of file";
  return lines;
}
