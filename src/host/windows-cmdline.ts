// Windows command lines. A Windows process receives ONE string, not an argument vector;
// the C runtime (and CommandLineToArgvW) splits it again. Any argv we turn into one string
// (a task's <Arguments>, a detached start) is quoted so that the split gives back exactly
// the same words:
//   - a word is quoted when it is empty or holds a space, tab, newline, vertical tab or ";
//   - inside quotes, a run of backslashes followed by " is doubled and the quote escaped
//     (n backslashes + " -> 2n+1 backslashes + ");
//   - a run of backslashes before the closing quote is doubled (so it does not escape it);
//   - any other backslash is literal.
// The program name (the first word) follows a simpler rule: it ends at the next space
// unless it starts with ", in which case it ends at the next " (no escapes at all).

const NEEDS_QUOTES = /[ \t\n\v"]/;

/** One argument (not the program name), quoted for CommandLineToArgvW. */
export function quoteWindowsArg(arg: string): string {
  if (arg !== "" && !NEEDS_QUOTES.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === "\\") {
      backslashes++;
      continue;
    }
    if (ch === '"') out += "\\".repeat(backslashes * 2 + 1) + '"';
    else out += "\\".repeat(backslashes) + ch;
    backslashes = 0;
  }
  return `${out}${"\\".repeat(backslashes * 2)}"`;
}

/** The program name as the first word of a command line. Paths cannot hold ", so quoting is plain. */
export function quoteWindowsProgram(program: string): string {
  if (program.includes('"')) throw new Error(`A Windows program path cannot contain a double quote: ${program}`);
  return program === "" || /[ \t]/.test(program) ? `"${program}"` : program;
}

/** The arguments after the program name, as one string (a task's <Arguments>). */
export function windowsArguments(args: readonly string[]): string {
  return args.map(quoteWindowsArg).join(" ");
}

/** A whole command line: program name, then the arguments. */
export function windowsCommandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error("An empty argument vector has no command line.");
  const [program, ...args] = argv;
  return [quoteWindowsProgram(program!), ...args.map(quoteWindowsArg)].join(" ");
}
