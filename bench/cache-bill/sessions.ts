// Claude-Code-like agent sessions for the cache-bill benchmark, built from the real corpus
// (bench/corpus/load.ts's loadCorpus() when present, else bench/compression/corpus.ts).
// A session is the exact list of request bodies the client sends: a system prompt of a few
// KB and ~20 tool definitions, then turns of a user ask, the assistant's tool_use, the
// user's tool_result (a corpus item's text, or a small real output), and the assistant's
// answer. The whole history is resent on every request, with `cache_control` on the last
// system block and on the last content block of each of the last two messages, moved each
// turn, as Claude Code places it. The assistant turns are scripted here, so every mode
// replays the same conversation whatever the upstream answers.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export interface SessionItem {
  name: string;
  question: string;
  text: string;
  /** Strings the answer rests on (used to script the assistant's answer). */
  facts: string[];
  /** The command that produced it, when the corpus says. */
  command?: string;
}

export interface Session {
  name: string;
  /** Big tool results (the compressible case) or small ones. */
  heavy: boolean;
  turns: number;
  requests: Record<string, unknown>[];
  /** Estimated tokens of all tool results in the session. */
  resultTokens: number;
  /** Where the session's items came from. */
  corpus: string;
  /** The corpus items whose text is a tool result in the session, in order. */
  items: string[];
}

const repoRoot = resolve(import.meta.dir, "../..");
const MODEL = "claude-sonnet-4-5";
const CC = { type: "ephemeral" } as const;
const tokens = (s: string) => Math.ceil(s.length / 3.5);

type Block = Record<string, unknown>;
interface Message {
  role: "user" | "assistant";
  content: Block[];
}

// ---------------------------------------------------------------------------------------
// The corpus

function asItem(raw: Record<string, unknown>, i: number): SessionItem | null {
  const text = [raw.text, raw.output, raw.content].find((v) => typeof v === "string") as string | undefined;
  if (!text) return null;
  const question = typeof raw.question === "string" ? raw.question : "What does this output say?";
  const facts = [raw.facts, raw.mustSurvive, raw.must_survive, raw.survive, raw.keep].find(Array.isArray) as unknown[] | undefined;
  const name = String(raw.name ?? raw.id ?? `item-${i}`);
  const command = typeof raw.command === "string" ? raw.command : Array.isArray(raw.command) ? raw.command.join(" ") : undefined;
  return { name, question, text, facts: (facts ?? []).filter((f): f is string => typeof f === "string"), command };
}

/** The real corpus when it is there, else the generated one. */
export async function loadItems(): Promise<{ items: SessionItem[]; corpus: string }> {
  const real = join(repoRoot, "bench/corpus/load.ts");
  if (await Bun.file(real).exists()) {
    try {
      const mod = (await import(real)) as { loadCorpus?: () => unknown };
      const loaded = await mod.loadCorpus?.();
      const list = Array.isArray(loaded) ? loaded : [];
      const items = list.map((raw, i) => asItem(raw as Record<string, unknown>, i)).filter((x): x is SessionItem => x !== null);
      if (items.length > 0) return { items, corpus: "bench/corpus" };
    } catch (err) {
      console.error(`bench/corpus/load.ts failed (${(err as Error).message}); using bench/compression/corpus.ts`);
    }
  }
  const { buildCorpus } = await import("../compression/corpus.ts");
  return { items: buildCorpus().map((c, i) => asItem(c as unknown as Record<string, unknown>, i)!), corpus: "bench/compression/corpus.ts" };
}

// ---------------------------------------------------------------------------------------
// What every request carries: the system prompt and the tools

const SYSTEM_INTRO = "You are an interactive command-line coding assistant working in the user's repository. Use the instructions below and the tools available to you to help the user with software engineering tasks.";

function systemPrompt(session: string): Block[] {
  const body = [
    "# Tone and style",
    "Be concise and direct. Answer in a few lines unless the user asks for detail. Do not add preambles or summaries the user did not ask for. When you run a non-trivial command, say in one sentence what it does and why. Output is shown in a terminal in a monospace font and rendered as CommonMark.",
    "Only use emojis if the user asks for them. Never invent facts about the repository: read the files or run a command first. When you cite code, give the path and line as path:line so the user can jump to it.",
    "# Proactiveness",
    "Do what was asked, nothing more and nothing less. If the user asks how to approach something, answer the question first before changing files. Never commit changes unless the user explicitly asks you to.",
    "# Following conventions",
    "Before changing a file, understand its conventions: look at neighbouring files, the imports, the test layout and the package manifest. Never assume a library is available: check that the codebase already uses it. When you create a component, look at existing components first. Follow security best practices: never log or commit secrets and keys.",
    "# Task management",
    "Use the TodoWrite tool to plan multi-step work and to show the user your progress. Mark a todo as completed as soon as it is done; do not batch completions. Break large tasks into steps small enough to verify one by one.",
    "# Doing tasks",
    "1. Search the codebase to understand it, in parallel where the searches are independent.\n2. Implement the solution with the tools available.\n3. Verify it with the project's tests; never assume a test framework, read the README or search the codebase to find it.\n4. Run the lint and type-check commands when you are done (for example npm run lint, npm run typecheck) and fix what they report.",
    "# Tool usage policy",
    "Prefer the Task tool for open-ended searches that may need several rounds. When several independent pieces of information are needed, call the tools in parallel in one message. Read a file before editing it. Results of tools may be long: look for the part that answers the question and quote it exactly.",
    "# Code references",
    "When referencing specific functions or pieces of code include the pattern file_path:line_number to allow the user to easily navigate to the source code location.",
    "Here is useful information about the environment you are running in:",
    `<env>\nWorking directory: /home/dev/projects/${session}\nIs directory a git repo: Yes\nPlatform: linux\nOS Version: Linux 6.1.0-18-amd64\nToday's date: 2026-03-14\n</env>`,
    `gitStatus: This is the git status at the start of the conversation.\nCurrent branch: work/${session}\nMain branch: main\nStatus:\nM src/server.ts\n?? notes/todo.md\n\nRecent commits:\n4f1c2aa fix: retry on 529 with backoff\n91be0d3 feat: stream usage to the stats page\n0c77e12 chore: bump dependencies\n5d0a1f9 docs: describe the proxy flags`,
  ].join("\n\n");
  return [
    { type: "text", text: SYSTEM_INTRO },
    { type: "text", text: body },
  ];
}

interface ToolSpec {
  name: string;
  description: string;
  props: Record<string, { type: string; description: string; items?: unknown; enum?: string[] }>;
  required: string[];
}

const str = (description: string) => ({ type: "string", description });
const num = (description: string) => ({ type: "number", description });
const bool = (description: string) => ({ type: "boolean", description });

const TOOL_SPECS: ToolSpec[] = [
  {
    name: "Task",
    description: "Launch a sub-agent that handles a complex, multi-step task on its own. The sub-agent has the same tools and returns one final report.\n\nWhen to use it:\n- an open-ended search for a keyword or file that may take several rounds of globbing and grepping\n- research that spans many files, where only the conclusion matters to the conversation\n\nWhen not to use it:\n- reading one known file (use Read)\n- searching for a specific class definition (use Glob)\n- searching within two or three files (use Read)\n\nUsage notes:\n1. Launch several agents at once when their tasks are independent: one message with several tool calls.\n2. The agent's result is not shown to the user; summarise it in your answer.\n3. Each invocation is stateless: give the agent a complete, detailed description of the task and say exactly what it should return.\n4. Tell the agent whether it should write code or only research.",
    props: { description: str("A short (3-5 word) description of the task"), prompt: str("The task for the agent to perform"), subagent_type: str("The type of specialised agent to use") },
    required: ["description", "prompt"],
  },
  {
    name: "Bash",
    description: "Executes a bash command in a persistent shell session with an optional timeout, with proper handling and security measures.\n\nBefore executing the command:\n1. Directory verification: if the command creates new directories or files, first use LS to verify that the parent directory exists and is the correct location.\n2. Command execution: always quote file paths that contain spaces with double quotes. After quoting, run the command and capture its output.\n\nUsage notes:\n- The command argument is required.\n- An optional timeout in milliseconds may be given (up to 600000 ms / 10 minutes); the default is 120000 ms.\n- Write a clear, concise description of what the command does in 5-10 words.\n- If the output exceeds 30000 characters it is truncated before being returned.\n- Avoid search commands like find and grep: use Grep, Glob or Task instead. Avoid cat, head, tail and ls: use Read and LS.\n- When issuing several commands, separate them with ';' or '&&', not newlines. Keep the working directory by using absolute paths and avoiding cd.\n\n# Committing changes with git\nWhen the user asks you to create a commit:\n1. Run git status, git diff and git log in parallel to see the untracked files, the staged and unstaged changes and the recent commit messages' style.\n2. Analyse the changes and draft a commit message that focuses on why rather than what. Do not commit files that likely contain secrets.\n3. Add the relevant files, create the commit, and run git status to confirm it succeeded. If a pre-commit hook changed files, retry once to include them.\nNever update the git config, never push unless asked, never use interactive flags such as -i.\n\n# Creating pull requests\nUse the gh command for all GitHub-related tasks. Understand the full history of the branch since it diverged from the main branch, draft a summary of one to three bullet points and a test plan, then create the PR with gh pr create and return its URL.",
    props: { command: str("The command to execute"), timeout: num("Optional timeout in milliseconds (max 600000)"), description: str("Clear, concise description of what this command does in 5-10 words"), run_in_background: bool("Run the command in the background and read its output later with BashOutput") },
    required: ["command"],
  },
  {
    name: "Glob",
    description: "Fast file pattern matching that works with any codebase size. Supports glob patterns like \"**/*.js\" or \"src/**/*.ts\". Returns matching file paths sorted by modification time. Use it when you need to find files by name patterns. For an open-ended search that may need several rounds of globbing and grepping, use the Task tool instead. Several speculative searches can be run in parallel in one message.",
    props: { pattern: str("The glob pattern to match files against"), path: str("The directory to search in; the current working directory when omitted") },
    required: ["pattern"],
  },
  {
    name: "Grep",
    description: "A powerful search tool built on ripgrep.\n\nUsage:\n- Always use Grep for search tasks; never invoke grep or rg as a Bash command.\n- Supports full regular expression syntax (for example \"log.*Error\", \"function\\s+\\w+\").\n- Filter files with the glob parameter (\"*.js\", \"**/*.tsx\") or the type parameter (\"js\", \"py\", \"rust\").\n- Output modes: \"content\" shows matching lines, \"files_with_matches\" shows only file paths (the default), \"count\" shows match counts.\n- Use the Task tool for open-ended searches that need several rounds.\n- Pattern syntax is ripgrep's, not grep's: literal braces need escaping (use interface\\{\\} to find interface{} in Go code).\n- Multiline matching: by default patterns match within single lines only; use multiline: true for patterns that span lines.",
    props: {
      pattern: str("The regular expression pattern to search for in file contents"),
      path: str("File or directory to search in; defaults to the current working directory"),
      glob: str("Glob pattern to filter files"),
      output_mode: { type: "string", description: "Output mode", enum: ["content", "files_with_matches", "count"] },
      "-n": bool("Show line numbers in the output (content mode)"),
      "-i": bool("Case insensitive search"),
      "-A": num("Lines to show after each match"),
      "-B": num("Lines to show before each match"),
      head_limit: num("Limit output to the first N lines or entries"),
      multiline: bool("Enable multiline mode"),
    },
    required: ["pattern"],
  },
  {
    name: "LS",
    description: "Lists files and directories in a given path. The path parameter must be an absolute path, not a relative one. You can optionally give an array of glob patterns to ignore. Prefer the Glob and Grep tools when you know which directories to search.",
    props: { path: str("The absolute path to the directory to list"), ignore: { type: "array", description: "List of glob patterns to ignore", items: { type: "string" } } },
    required: ["path"],
  },
  {
    name: "ExitPlanMode",
    description: "Use this tool when you are in plan mode and have finished presenting your plan and are ready to code. This prompts the user to exit plan mode. Only use it when the task requires planning the implementation steps of a task that needs writing code; for research tasks (searching files, reading files, understanding the codebase) do not use it.",
    props: { plan: str("The plan you came up with, in markdown; concise") },
    required: ["plan"],
  },
  {
    name: "Read",
    description: "Reads a file from the local filesystem. You can access any file directly by using this tool. Assume the tool can read all files on the machine; if the user gives a path, assume it is valid. It is fine to read a file that does not exist: an error is returned.\n\nUsage:\n- The file_path parameter must be an absolute path.\n- By default it reads up to 2000 lines from the start of the file; you can give a line offset and limit for long files.\n- Lines longer than 2000 characters are truncated.\n- Results are returned in cat -n format, with line numbers starting at 1.\n- It can read images (PNG, JPG), PDF files page by page, and Jupyter notebooks with their outputs.\n- Read several potentially useful files in parallel in one message.\n- A file that exists but is empty comes back with a system reminder saying so.",
    props: { file_path: str("The absolute path to the file to read"), offset: num("The line number to start reading from"), limit: num("The number of lines to read") },
    required: ["file_path"],
  },
  {
    name: "Edit",
    description: "Performs exact string replacements in files.\n\nUsage:\n- You must use Read at least once in the conversation before editing; this tool errors if you edit without reading the file.\n- When editing text from Read output, preserve the exact indentation (tabs or spaces) as it appears after the line-number prefix. Never include any part of the prefix in old_string or new_string.\n- Prefer editing existing files; never write new files unless required.\n- The edit fails if old_string is not unique in the file: give a larger string with more surrounding context, or use replace_all to change every instance.\n- Use replace_all for renaming a variable across the file.",
    props: { file_path: str("The absolute path to the file to modify"), old_string: str("The text to replace"), new_string: str("The text to replace it with (must differ from old_string)"), replace_all: bool("Replace all occurrences of old_string (default false)") },
    required: ["file_path", "old_string", "new_string"],
  },
  {
    name: "MultiEdit",
    description: "Makes several edits to a single file in one operation. Built on top of Edit; prefer it over Edit when you need several edits to the same file.\n\nAll edits are applied in sequence, in the order given; each edit operates on the result of the previous one. All edits must be valid for the operation to succeed: if any fails, none is applied. Plan edits so that earlier edits do not change the text that later edits look for. The same rules as for Edit apply to each edit: read the file first, keep the exact indentation, make old_string unique or use replace_all.",
    props: { file_path: str("The absolute path to the file to modify"), edits: { type: "array", description: "Array of edit operations to perform sequentially on the file", items: { type: "object" } } },
    required: ["file_path", "edits"],
  },
  {
    name: "Write",
    description: "Writes a file to the local filesystem. Overwrites the existing file if there is one at the path. If this is an existing file, you must use Read first to read its contents; this tool fails otherwise. Always prefer editing existing files. Never proactively create documentation files (*.md) or README files unless the user asks for them.",
    props: { file_path: str("The absolute path to the file to write"), content: str("The content to write to the file") },
    required: ["file_path", "content"],
  },
  {
    name: "NotebookEdit",
    description: "Completely replaces the contents of a specific cell in a Jupyter notebook (.ipynb file) with new source. The notebook_path parameter must be an absolute path. The cell_id identifies the cell; use edit_mode=insert to add a new cell after the cell with that id, or edit_mode=delete to delete it.",
    props: { notebook_path: str("The absolute path to the notebook"), cell_id: str("The id of the cell to edit"), new_source: str("The new source for the cell"), cell_type: { type: "string", description: "The type of the cell", enum: ["code", "markdown"] }, edit_mode: { type: "string", description: "The type of edit", enum: ["replace", "insert", "delete"] } },
    required: ["notebook_path", "new_source"],
  },
  {
    name: "WebFetch",
    description: "Fetches content from a URL and processes it with a prompt. Takes a URL and a prompt, fetches the content, converts HTML to markdown, and answers the prompt about it with a small, fast model. Use it when you need to retrieve and analyse web content. The URL must be fully formed; HTTP is upgraded to HTTPS. Results may be summarised if the content is very large. When a URL redirects to another host, the tool says so and gives the redirect URL: fetch it with a new request.",
    props: { url: str("The URL to fetch content from"), prompt: str("The prompt to run on the fetched content") },
    required: ["url", "prompt"],
  },
  {
    name: "TodoWrite",
    description: "Create and manage a structured task list for the current session. It helps track progress, organise complex tasks and show the user how the work is going.\n\nUse it proactively for complex multi-step tasks (three steps or more), when the user gives several tasks at once, after receiving new instructions, when starting work on a task (mark it in_progress; only one at a time), and after completing one (mark it completed and add follow-ups you discovered).\n\nSkip it for a single straightforward task, trivial tasks, and purely conversational requests.\n\nTask states: pending, in_progress, completed. Mark tasks complete immediately after finishing them. Only mark a task completed when it is fully done: tests pass, the implementation is complete, no unresolved errors remain.",
    props: { todos: { type: "array", description: "The updated todo list", items: { type: "object" } } },
    required: ["todos"],
  },
  {
    name: "WebSearch",
    description: "Searches the web and uses the results to inform responses. Provides up-to-date information for current events and recent data beyond the model's knowledge cutoff. Returns search result blocks with titles and URLs. Domain filtering is supported to include or block specific websites. Account for the current date when searching for recent information.",
    props: { query: str("The search query to use"), allowed_domains: { type: "array", description: "Only include results from these domains", items: { type: "string" } }, blocked_domains: { type: "array", description: "Never include results from these domains", items: { type: "string" } } },
    required: ["query"],
  },
  {
    name: "BashOutput",
    description: "Retrieves output from a running or completed background bash shell. Takes a shell_id parameter identifying the shell and always returns only new output since the last check, with the command's status. Supports an optional regular expression to filter the output lines.",
    props: { bash_id: str("The id of the background shell to read output from"), filter: str("Optional regular expression to filter the output lines") },
    required: ["bash_id"],
  },
  {
    name: "KillShell",
    description: "Kills a running background bash shell by its id. Returns a success or failure status. Use it when you need to terminate a long-running shell such as a dev server or a watcher started with run_in_background.",
    props: { shell_id: str("The id of the background shell to kill") },
    required: ["shell_id"],
  },
  {
    name: "SlashCommand",
    description: "Execute a slash command within the main conversation. Only custom slash commands defined by the user are available; each has a description saying when to use it. Do not use this tool for built-in commands such as /help or /clear. Do not invoke a command that is already running.",
    props: { command: str("The slash command to execute with its arguments, e.g. \"/review-pr 123\"") },
    required: ["command"],
  },
  {
    name: "mcp__github__search_issues",
    description: "Search issues and pull requests across GitHub repositories with GitHub's issue search syntax. Returns matching issues with their number, title, state, labels, assignees and timestamps. Results are paginated; use perPage and page to walk them.",
    props: { q: str("Search query using GitHub issues search syntax"), sort: str("Sort field (comments, reactions, created, updated)"), order: str("Sort order: asc or desc"), perPage: num("Results per page (max 100)"), page: num("Page number") },
    required: ["q"],
  },
  {
    name: "mcp__github__get_pull_request_diff",
    description: "Get the diff of a pull request in unified format. Large diffs are returned whole; use the file filter to narrow the diff to some paths.",
    props: { owner: str("Repository owner"), repo: str("Repository name"), pullNumber: num("Pull request number") },
    required: ["owner", "repo", "pullNumber"],
  },
  {
    name: "mcp__browser__snapshot",
    description: "Capture an accessibility snapshot of the current page of the controlled browser. Better than a screenshot for acting on the page: it lists the elements with their roles, names and references to use with the click and type tools.",
    props: { selector: str("Optional CSS selector of the part of the page to capture") },
    required: [],
  },
];

function toolDefinitions(): Block[] {
  return TOOL_SPECS.map((t) => ({
    name: t.name,
    description: t.description,
    input_schema: { type: "object", properties: t.props, required: t.required, additionalProperties: false, $schema: "http://json-schema.org/draft-07/schema#" },
  }));
}

// ---------------------------------------------------------------------------------------
// Small real outputs for the light turns

/** A Read tool result: one of this repository's small source files, frozen under reads/ so the sessions do not move as the code does. */
function readOutput(rel: string): { input: Block; text: string } {
  const file = join(import.meta.dir, "reads", `${rel.split("/").pop()}.txt`);
  const lines = readFileSync(file, "utf8").split("\n");
  if (lines.at(-1) === "") lines.pop();
  const text = lines.map((l, i) => `${String(i + 1).padStart(6)}\u2192${l}`).join("\n");
  return { input: { file_path: `/home/dev/projects/app/${rel}` }, text };
}

const SMALL_FILES = ["src/proxy/net.ts", "src/proxy/error-bodies.ts", "src/proxy/log.ts", "src/proxy/guard.ts", "src/proxy/health.ts", "src/proxy/routing.ts", "src/proxy/headers.ts"];

const GIT_STATUS = "On branch work/feature\nYour branch is up to date with 'origin/work/feature'.\n\nChanges not staged for commit:\n  (use \"git add <file>...\" to update what will be committed)\n  (use \"git restore <file>...\" to discard changes in working directory)\n\tmodified:   src/server.ts\n\tmodified:   src/routes/health.ts\n\nUntracked files:\n  (use \"git add <file>...\" to include in what will be committed)\n\tnotes/todo.md\n\nno changes added to commit (use \"git add\" and/or \"git commit -a\")";

function smallTest(n: number): string {
  return [`bun test v1.4.5 (a7733435c)`, "", "test/unit/health.test.ts:", ...Array.from({ length: n }, (_, i) => `(pass) health > answers probe ${i + 1} [0.${(i * 7) % 10}${i % 10}ms]`), "", ` ${n} pass`, " 0 fail", ` ${n * 2} expect() calls`, `Ran ${n} tests across 1 file. [41.00ms]`].join("\n");
}

const EDIT_OK = (path: string) => `The file /home/dev/projects/app/${path} has been updated. Here's the result of running \`cat -n\` on a snippet of the edited file:\n    12\u2192export function health(ctx: ProxyContext) {\n    13\u2192  const up = Math.round((Date.now() - ctx.stats.startedAt) / 1000);\n    14\u2192  return Response.json({ status: \"healthy\", uptime_seconds: up });\n    15\u2192}`;

// ---------------------------------------------------------------------------------------
// Building the requests

type ToolCall = { tool: string; input: Block; result: string; item?: string };
type Turn = { ask: string; calls: ToolCall[][]; answer: string };

/** Every request of a session, each with the whole history and Claude Code's breakpoints. */
function replay(name: string, turns: Turn[]): Record<string, unknown>[] {
  const tools = toolDefinitions();
  const system = systemPrompt(name);
  const history: Message[] = [];
  const requests: Record<string, unknown>[] = [];
  let id = 0;
  const send = () => {
    const last = history.length - 1;
    const messages = history.map((m, i) =>
      i >= last - 1 ? { role: m.role, content: m.content.map((b, j) => (j === m.content.length - 1 ? { ...b, cache_control: CC } : b)) } : m,
    );
    requests.push({
      model: MODEL,
      max_tokens: 32000,
      stream: true,
      metadata: { user_id: `bench_${name}` },
      system: system.map((b, i) => (i === system.length - 1 ? { ...b, cache_control: CC } : b)),
      tools,
      messages: structuredClone(messages),
    });
  };
  turns.forEach((turn, t) => {
    const ask: Block[] = [{ type: "text", text: turn.ask }];
    if (t === 0) {
      ask.unshift({ type: "text", text: `<system-reminder>\nAs you answer the user's questions, you can use the following context:\n# claudeMd\nContents of /home/dev/projects/${name}/CLAUDE.md (project instructions, checked into the codebase):\n\n- Run the tests with \`bun test\`; type-check with \`npx tsc --noEmit\`.\n- Keep modules small; one concern per file.\n- Never commit generated files.\n</system-reminder>` });
    }
    history.push({ role: "user", content: ask });
    send();
    for (const step of turn.calls) {
      const uses = step.map((c) => ({ type: "tool_use", id: `toolu_${name}_${++id}`, name: c.tool, input: c.input }));
      history.push({ role: "assistant", content: [{ type: "text", text: step.length > 1 ? "I'll run these in parallel." : `Let me check with ${step[0]!.tool}.` }, ...uses] });
      history.push({ role: "user", content: step.map((c, k) => ({ type: "tool_result", tool_use_id: uses[k]!.id, content: c.result })) });
      send();
    }
    history.push({ role: "assistant", content: [{ type: "text", text: turn.answer }] });
  });
  return requests;
}

function callFor(item: SessionItem): ToolCall {
  const cmd = item.command ?? `./scripts/show ${item.name}`;
  return { tool: "Bash", input: { command: cmd, description: `Show ${item.name}` }, result: item.text, item: item.name };
}

const answerFor = (item: SessionItem) =>
  item.facts.length > 0 ? `From the output of ${item.name}: ${item.facts.slice(0, 2).map((f) => `\`${f}\``).join(" and ")}.` : `I read ${item.name}; nothing in it points to a problem.`;

const askAgain = (item: SessionItem) => `Going back to the ${item.name} output you got earlier: ${item.question}`;

function readCall(k: number): ToolCall {
  const f = SMALL_FILES[k % SMALL_FILES.length]!;
  const r = readOutput(f);
  return { tool: "Read", input: r.input, result: r.text };
}

/** A session whose turns fetch big corpus items, with small reads, edits and test runs between. */
function heavySession(name: string, big: SessionItem[], seed: number): Turn[] {
  const [a, b, c, d, e, f] = [0, 1, 2, 3, 4, 5].map((i) => big[i % big.length]!) as [SessionItem, SessionItem, SessionItem, SessionItem, SessionItem, SessionItem];
  return [
    { ask: a.question, calls: [[callFor(a)]], answer: answerFor(a) },
    { ask: b.question, calls: [[callFor(b)]], answer: answerFor(b) },
    { ask: "Show me the health handler so I can see how the uptime is computed.", calls: [[readCall(seed)]], answer: "The handler is short: it reads the start time from the stats and rounds the difference to seconds." },
    { ask: c.question, calls: [[callFor(c)]], answer: answerFor(c) },
    { ask: askAgain(a), calls: [], answer: answerFor(a) },
    { ask: `${d.question} Also check the git status.`, calls: [[callFor(d), { tool: "Bash", input: { command: "git status" }, result: GIT_STATUS }]], answer: `${answerFor(d)} Two files are modified.` },
    { ask: "Round the uptime to whole seconds in the health handler.", calls: [[{ tool: "Edit", input: { file_path: "/home/dev/projects/app/src/routes/health.ts", old_string: "/ 1000)", new_string: "/ 1000)" }, result: EDIT_OK("src/routes/health.ts") }]], answer: "Done: the uptime is now a whole number of seconds." },
    { ask: e.question, calls: [[callFor(e)]], answer: answerFor(e) },
    { ask: askAgain(b), calls: [], answer: answerFor(b) },
    { ask: "Run the health tests.", calls: [[{ tool: "Bash", input: { command: "bun test test/unit/health.test.ts" }, result: smallTest(6) }]], answer: "All 6 health tests pass." },
    { ask: f.question, calls: [[callFor(f)]], answer: answerFor(f) },
  ];
}

/** A session of small results: reads of short files, edits, git status and small test runs. */
function lightSession(name: string, small: SessionItem[], seed: number): Turn[] {
  const item = small[seed % Math.max(1, small.length)];
  const turns: Turn[] = [
    { ask: "What does the proxy do when a request has no body?", calls: [[readCall(seed)]], answer: "It forwards it as it came; only JSON bodies of the known APIs are parsed." },
    { ask: "And how are the errors shaped?", calls: [[readCall(seed + 1)]], answer: "Each provider gets its own error shape, with the status and a message naming the upstream." },
    { ask: "What is the difference between /livez and /readyz?", calls: [], answer: "/livez only says the process is up; /readyz turns 503 while starting or draining." },
    { ask: "Check the git status.", calls: [[{ tool: "Bash", input: { command: "git status" }, result: GIT_STATUS }]], answer: "Two modified files and one untracked note." },
    { ask: "Show me the logger.", calls: [[readCall(seed + 2)]], answer: "It is a small levelled logger over stderr; debug lines are one per request." },
    { ask: "Make the health handler round the uptime.", calls: [[readCall(seed + 4)], [{ tool: "Edit", input: { file_path: "/home/dev/projects/app/src/routes/health.ts", old_string: "/ 1000)", new_string: "/ 1000)" }, result: EDIT_OK("src/routes/health.ts") }]], answer: "Done." },
    { ask: "Run its tests.", calls: [[{ tool: "Bash", input: { command: "bun test test/unit/health.test.ts" }, result: smallTest(4) }]], answer: "4 pass, 0 fail." },
    { ask: "Which header does the token guard read?", calls: [[readCall(seed + 3)]], answer: "Authorization: Bearer, or x-headroom-proxy-token." },
    { ask: "Earlier you read the logger: which levels does it have?", calls: [], answer: "debug, info, warn and error." },
    { ask: "How is a request routed to a provider?", calls: [[readCall(seed + 5)]], answer: "By path first, then by the headers the request carries." },
  ];
  if (item) turns.push({ ask: item.question, calls: [[callFor(item)]], answer: answerFor(item) });
  turns.push({ ask: "Commit it with a short message.", calls: [[{ tool: "Bash", input: { command: "git commit -am 'health: whole-second uptime'" }, result: "[work/feature 7d3e9b1] health: whole-second uptime\n 1 file changed, 1 insertion(+), 1 deletion(-)" }]], answer: "Committed as 7d3e9b1." });
  return turns;
}

const itemTokens = (i: SessionItem) => tokens(i.text);

/** The sessions: three tool-heavy, two light, one mixed; deterministic for a given corpus. */
export async function buildSessions(): Promise<Session[]> {
  const { items, corpus } = await loadItems();
  // Big results: above a few thousand tokens and small enough that six of them fit a
  // 200k context (Claude Code itself cuts Bash output at 30,000 characters; MCP tools
  // and Read return more).
  const big = items.filter((i) => itemTokens(i) >= 2000 && itemTokens(i) <= 30_000).sort((x, y) => itemTokens(y) - itemTokens(x) || x.name.localeCompare(y.name));
  const small = items.filter((i) => itemTokens(i) < 2000).sort((x, y) => x.name.localeCompare(y.name));
  const pool = big.length > 0 ? big : items;
  const rotate = (k: number) => pool.map((_, i) => pool[(i * 3 + k) % pool.length]!);
  const defs: Array<{ name: string; heavy: boolean; turns: Turn[] }> = [
    { name: "heavy-1", heavy: true, turns: heavySession("heavy-1", rotate(0), 0) },
    { name: "heavy-2", heavy: true, turns: heavySession("heavy-2", rotate(1), 1) },
    { name: "heavy-3", heavy: true, turns: heavySession("heavy-3", rotate(2), 2) },
    { name: "light-1", heavy: false, turns: lightSession("light-1", small, 0) },
    { name: "light-2", heavy: false, turns: lightSession("light-2", small, 3) },
  ];
  // Mixed: the light session's shape with two big results in it.
  const mixed = lightSession("mixed-1", small, 5);
  const [m1, m2] = [pool[pool.length - 1]!, pool[Math.floor(pool.length / 2)]!];
  mixed.splice(2, 1, { ask: m1.question, calls: [[callFor(m1)]], answer: answerFor(m1) });
  mixed.splice(8, 1, { ask: m2.question, calls: [[callFor(m2)]], answer: answerFor(m2) });
  defs.push({ name: "mixed-1", heavy: false, turns: mixed });

  return defs.map((d) => ({
    name: d.name,
    heavy: d.heavy,
    turns: d.turns.length,
    requests: replay(d.name, d.turns),
    resultTokens: d.turns.flatMap((t) => t.calls.flat()).reduce((n, c) => n + tokens(c.result), 0),
    corpus,
    items: d.turns.flatMap((t) => t.calls.flat()).flatMap((c) => (c.item ? [c.item] : [])),
  }));
}
