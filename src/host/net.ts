// Small network probes used by the CLI: is a port taken, what answers on it.
// Bun's own socket API rather than node:net, which costs about 1.3 ms to load and would
// be paid by every `install status` and `wrap`.

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(port: number, host = "127.0.0.1", timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (open: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(open);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    Bun.connect({ hostname: host, port, socket: { data() {}, error() {}, connectError() {} } }).then(
      (sock) => {
        sock.end();
        finish(true);
      },
      () => finish(false),
    );
  });
}

/** GET a JSON document with a timeout; null when unreachable or not JSON. */
export async function getJson<T = Record<string, unknown>>(
  url: string,
  timeoutMs = 1000,
): Promise<{ status: number; body: T } | null> {
  const res = await getJsonAnswer<T>(url, timeoutMs);
  return res && { status: res.status, body: res.body };
}

/** getJson, plus the Server header (what answered, for messages about a foreign server). */
export async function getJsonAnswer<T = Record<string, unknown>>(
  url: string,
  timeoutMs = 1000,
): Promise<{ status: number; body: T; server: string | null } | null> {
  // ofetch (loaded on the first probe): its own timeout, no retry, any HTTP status
  // answered rather than thrown, the body as text so that a non-JSON answer is told apart.
  const { ofetch } = await import("ofetch");
  try {
    const res = await ofetch.raw<string, "text">(url, { timeout: timeoutMs, retry: 0, ignoreResponseError: true, responseType: "text" });
    const text = res._data ?? "";
    const server = res.headers.get("server");
    try {
      return { status: res.status, body: JSON.parse(text) as T, server };
    } catch {
      return { status: res.status, body: null as T, server };
    }
  } catch {
    return null;
  }
}

/** A loopback URL for a local port. */
export function localUrl(port: number, path = "", host = "127.0.0.1"): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}${path}`;
}

/** Polls until `check` returns a value or the timeout passes. */
export async function waitFor<T>(check: () => Promise<T | null | undefined | false>, timeoutMs: number, intervalMs = 50): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() >= deadline) return null;
    await Bun.sleep(intervalMs);
  }
}

/** Waits until nothing listens on 127.0.0.1:`port`; false when it is still taken after `timeoutMs`. */
export async function waitPortFree(port: number, timeoutMs = 15_000): Promise<boolean> {
  return (await waitFor(async () => !(await isPortOpen(port, "127.0.0.1", 300)), timeoutMs, 25)) !== null;
}
