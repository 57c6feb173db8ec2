// The proxy's log: one line per event, timestamped, filtered by level. Never given a
// request's headers or body, so no key can end up here.
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  readonly level: LogLevel;
  enabled(level: LogLevel): boolean;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const isLevel = (v: string): v is LogLevel => Object.hasOwn(RANK, v);

/** The level a --log-level or HEADROOM_LOG_LEVEL value names ("warning" is warn); anything else is info. */
export function logLevelOf(value: string | undefined): LogLevel {
  const v = (value ?? "info").toLowerCase();
  if (v === "warning") return "warn";
  return isLevel(v) ? v : "info";
}

export function createLogger(levelName: string | undefined, sink: (line: string, isError: boolean) => void = defaultSink): Logger {
  const level = logLevelOf(levelName);
  const min = RANK[level];
  const emit = (lvl: LogLevel, message: string) => {
    if (RANK[lvl] < min) return;
    sink(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} ${message}`, RANK[lvl] >= RANK.warn);
  };
  return {
    level,
    enabled: (lvl) => RANK[lvl] >= min,
    debug: (m) => emit("debug", m),
    info: (m) => emit("info", m),
    warn: (m) => emit("warn", m),
    error: (m) => emit("error", m),
  };
}

function defaultSink(line: string, isError: boolean): void {
  if (isError) console.error(line);
  else console.log(line);
}
