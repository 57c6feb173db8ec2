// One upstream call with the retry policy of SPEC 9.1: 429/529 honour Retry-After,
// connection errors and 5xx back off exponentially with jitter, other 4xx return at once.
// Retries happen before any response reaches the client, so a stream is never retried
// after its first byte went out.

export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  /** First backoff; doubles per attempt, plus up to 50% jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the response goes back as it is. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 250, maxDelayMs: 4000, maxRetryAfterMs: 30_000 };

export interface UpstreamRequest {
  url: string;
  method: string;
  headers: Headers;
  body: Uint8Array | string | null;
}

export type UpstreamOutcome =
  | { ok: true; response: Response; attempts: number }
  | { ok: false; error: Error; attempts: number; aborted: boolean };

function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 529 || (status >= 500 && status !== 501 && status !== 505);
}

/** Milliseconds from Retry-After / retry-after-ms; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && ms.trim() !== "" && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get("retry-after");
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function backoffMs(attempt: number, policy: RetryPolicy, random = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(base * (1 + 0.5 * random()));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

export async function callUpstream(req: UpstreamRequest, policy: RetryPolicy, signal: AbortSignal): Promise<UpstreamOutcome> {
  let attempt = 0;
  for (;;) {
    attempt++;
    const last = attempt >= policy.attempts;
    let response: Response;
    try {
      response = await fetch(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal,
        redirect: "manual",
      });
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (signal.aborted) return { ok: false, error, attempts: attempt, aborted: true };
      if (last) return { ok: false, error, attempts: attempt, aborted: false };
      await sleep(backoffMs(attempt, policy), signal);
      if (signal.aborted) return { ok: false, error, attempts: attempt, aborted: true };
      continue;
    }
    if (last || !isRetryableStatus(response.status)) return { ok: true, response, attempts: attempt };
    let wait: number;
    if (response.status === 429 || response.status === 529) {
      const after = retryAfterMs(response.headers);
      if (after !== undefined && after > policy.maxRetryAfterMs) return { ok: true, response, attempts: attempt };
      wait = after ?? backoffMs(attempt, policy);
    } else {
      wait = backoffMs(attempt, policy);
    }
    await response.body?.cancel().catch(() => {});
    await sleep(wait, signal);
    if (signal.aborted) return { ok: false, error: new Error("client went away"), attempts: attempt, aborted: true };
  }
}
