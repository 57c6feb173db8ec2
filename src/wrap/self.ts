// How to run this same headroom again: the compiled executable itself, or (from source)
// the bun runtime plus the entry script.
import { basename } from "node:path";

export function selfCommand(): string[] {
  const main = Bun.main;
  const compiled = main.startsWith("/$bunfs/") || /^[A-Za-z]:\\~BUN\\/.test(main) || !/^bun(\.exe)?$/i.test(basename(process.execPath));
  return compiled ? [process.execPath] : [process.execPath, main];
}
