// An independent reading of the documented CommandLineToArgvW / MSVC runtime rules, used
// only by the tests to check the quoting in src/host/windows-cmdline.ts:
//   - arguments are separated by spaces or tabs;
//   - a double quote starts or ends a quoted section, where spaces and tabs are literal;
//   - 2n backslashes followed by a quote give n backslashes, and the quote toggles quoting;
//   - 2n+1 backslashes followed by a quote give n backslashes and a literal quote;
//   - backslashes not followed by a quote are literal;
//   - the first word (program name) ends at the first space/tab, or when it starts with a
//     quote, at the next quote; backslashes have no special meaning in it.

export function commandLineToArgv(line: string): string[] {
  const argv: string[] = [];
  let i = 0;
  // program name
  let program = "";
  if (line[0] === '"') {
    i = 1;
    while (i < line.length && line[i] !== '"') program += line[i++];
    i++; // the closing quote
  } else {
    while (i < line.length && line[i] !== " " && line[i] !== "\t") program += line[i++];
  }
  argv.push(program);

  const isBlank = (c: string | undefined) => c === " " || c === "\t";
  for (;;) {
    while (isBlank(line[i])) i++;
    if (i >= line.length) break;
    let word = "";
    let quoted = false;
    while (i < line.length) {
      const c = line[i]!;
      if (!quoted && isBlank(c)) break;
      if (c === "\\") {
        let n = 0;
        while (line[i] === "\\") { n++; i++; }
        if (line[i] === '"') {
          word += "\\".repeat(Math.floor(n / 2));
          if (n % 2 === 1) { word += '"'; i++; }
          // even: the quote is handled as a delimiter on the next turn
        } else {
          word += "\\".repeat(n);
        }
        continue;
      }
      if (c === '"') { quoted = !quoted; i++; continue; }
      word += c;
      i++;
    }
    argv.push(word);
  }
  return argv;
}
