// The wrapper's signal discipline for one session. The tool runs in the wrapper's own
// process group, so Ctrl+C at the terminal reaches it directly; the wrapper ignores
// SIGINT so it outlives the tool and can clean up. SIGTERM and SIGHUP sent to the
// wrapper are forwarded to the tool. Before the tool starts (or in cursor mode, where
// there is no tool), any of these stops the session: `stopped` resolves and cleanup runs.
import { constants } from "node:os";

const HANDLED = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
type Handled = (typeof HANDLED)[number];

export interface Killable {
  kill(signal?: NodeJS.Signals | number): void;
}

export function signalNumber(name: string): number {
  return (constants.signals as Record<string, number>)[name] ?? 0;
}

export class SignalGuard {
  /** The first signal that asked the session to stop, when no tool was running to take it. */
  signal: Handled | null = null;
  private child: Killable | null = null;
  private handlers = new Map<Handled, () => void>();
  private wake: (() => void) | null = null;
  readonly stopped: Promise<Handled>;

  constructor() {
    let resolveStopped!: (s: Handled) => void;
    this.stopped = new Promise<Handled>((r) => (resolveStopped = r));
    for (const sig of HANDLED) {
      this.handlers.set(sig, () => {
        if (this.child) {
          // Ctrl+C already reached the tool through the terminal's process group.
          if (sig !== "SIGINT") {
            try {
              this.child.kill(sig);
            } catch {
              // already gone
            }
          }
          return;
        }
        if (!this.signal) {
          this.signal = sig;
          resolveStopped(sig);
          this.wake?.();
        }
      });
    }
  }

  install(): this {
    for (const [sig, fn] of this.handlers) process.on(sig, fn);
    return this;
  }

  uninstall(): void {
    for (const [sig, fn] of this.handlers) process.off(sig, fn);
  }

  /** While a tool runs, signals go to it instead of stopping the session. */
  attach(child: Killable | null): void {
    this.child = child;
  }

  /** 128+N for the signal that stopped the session, or null. */
  exitCode(): number | null {
    return this.signal ? 128 + signalNumber(this.signal) : null;
  }
}
