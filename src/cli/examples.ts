// What each help screen adds to citty's definitions: its usage line where the generic one
// says too little, two or three examples, and whether it lists the exit codes. Keyed by
// the full command path. test/unit/cli-help.test.ts checks that every visible command
// has an entry with two or three examples.

export interface HelpExtra {
  /** Replaces the generated usage line (after "headroom "). */
  usage?: string;
  examples: [command: string, comment?: string][];
  /** Show the exit-code table (commands whose codes go past 0/1/2). */
  exitCodes?: boolean;
}

export const HELP: Record<string, HelpExtra> = {
  headroom: {
    usage: "headroom <command> [options]",
    examples: [
      ["headroom proxy", "the proxy in the foreground on 127.0.0.1:8787"],
      ["headroom install apply", "a supervised proxy that survives logout and reboot, tools wired to it"],
      ["headroom wrap claude", "one Claude Code session through the proxy"],
    ],
    exitCodes: true,
  },
  "headroom proxy": {
    examples: [
      ["headroom proxy", "127.0.0.1:8787, compression on"],
      ["headroom proxy --port 9000 --no-optimize", "pure passthrough on another port"],
      ["headroom proxy --mode cache --log-level debug"],
    ],
  },
  "headroom wrap": {
    usage: "headroom wrap <tool> [--port P] [--no-proxy] [-v] [-- tool args]",
    examples: [
      ["headroom wrap claude"],
      ['headroom wrap codex -- exec "fix the failing test"', "arguments after -- go to the tool"],
      ["headroom wrap aider --port 9000 --no-proxy", "only point the tool at a proxy you run yourself"],
    ],
  },
  "headroom unwrap": {
    usage: "headroom unwrap <tool>",
    examples: [
      ["headroom unwrap codex", "undo a session edit that a crashed wrap left behind"],
      ["headroom unwrap openclaw"],
    ],
  },
  "headroom install": {
    usage: "headroom install <command> [options]",
    examples: [
      ["headroom install apply", "persistent-service, scope user, port 8787"],
      ["headroom install status --all --json"],
      ["headroom install remove", "stop it and restore every file it changed"],
    ],
    exitCodes: true,
  },
  "headroom install apply": {
    examples: [
      ["headroom install apply --dry-run", "every file as a diff, every command, the manifest; nothing changes"],
      ["headroom install apply --preset persistent-task --interval 5", "a watchdog instead of a service"],
      ["headroom install apply --scope provider --providers manual --target claude", "edit only Claude Code's settings.json"],
    ],
    exitCodes: true,
  },
  "headroom install status": {
    examples: [
      ["headroom install status", "exit 0 only when running and healthy"],
      ["headroom install status --profile work --json"],
      ["headroom install status --all"],
    ],
    exitCodes: true,
  },
  "headroom install start": {
    examples: [["headroom install start"], ["headroom install start --profile work --json"]],
    exitCodes: true,
  },
  "headroom install stop": {
    examples: [
      ["headroom install stop", "returns once the port is free"],
      ["headroom install stop --profile watch --pause", "persistent-task: also pause the watchdog"],
    ],
    exitCodes: true,
  },
  "headroom install restart": {
    examples: [["headroom install restart"], ["headroom install restart --profile work --quiet"]],
    exitCodes: true,
  },
  "headroom install remove": {
    examples: [["headroom install remove"], ["headroom install remove --profile work --json"]],
    exitCodes: true,
  },
  "headroom install logs": {
    examples: [
      ["headroom install logs", "the last 50 lines, from the journal, the container or runner.log"],
      ["headroom install logs --profile work -f", "keep printing new lines"],
      ["headroom install logs -n all --json"],
    ],
  },
  "headroom install upgrade-restart": { examples: [["headroom install upgrade-restart", "what the installers run after replacing the binary"], ["headroom install upgrade-restart --json"]] },
  "headroom install agent": { examples: [["headroom install agent run --profile default", "what a supervisor runs"], ["headroom install agent ensure --profile default", "what a watchdog runs"]] },
  "headroom install agent run": { examples: [["headroom install agent run --profile default"], ["HEADROOM_WORKSPACE_DIR=/srv/headroom headroom install agent run --profile ci"]] },
  "headroom install agent ensure": { examples: [["headroom install agent ensure --profile default"], ["headroom install agent ensure --profile watch"]] },
  "headroom doctor": {
    examples: [
      ["headroom doctor", "every check on one screen, each problem with its fix"],
      ["headroom doctor --profile work"],
      ["headroom doctor --json | jq '.findings[] | select(.status != \"ok\")'"],
    ],
    exitCodes: true,
  },
  "headroom completion": {
    usage: "headroom completion <bash|zsh|fish|powershell>",
    examples: [
      ["source <(headroom completion bash)", "in ~/.bashrc"],
      ["headroom completion zsh > \"${fpath[1]}/_headroom\"", "then restart zsh"],
      ["headroom completion fish > ~/.config/fish/completions/headroom.fish"],
    ],
  },
  "headroom healthcheck": {
    examples: [["headroom healthcheck", "exit 0 when 127.0.0.1:8787 answers /readyz"], ["headroom healthcheck --port 9000"]],
  },
  "headroom version": {
    examples: [["headroom version"], ["headroom version --json", "with commit, build date and target"]],
  },
};
