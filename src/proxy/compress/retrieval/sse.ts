// Server-sent events: split a byte stream into events, keep each event's raw text so that
// what is not changed goes to the client byte for byte.
export interface SseEvent {
  raw: string;
  event?: string;
  data: string;
}

export function parseEvent(raw: string): SseEvent {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of raw.split(/\r?\n/)) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  return { raw, event, data: data.join("\n") };
}

export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (;;) {
        const m = /\r?\n\r?\n/.exec(buffer);
        if (!m) break;
        const raw = buffer.slice(0, m.index + m[0].length);
        buffer = buffer.slice(m.index + m[0].length);
        if (raw.trim() !== "") yield parseEvent(raw);
      }
      if (done) break;
    }
    if (buffer.trim() !== "") yield parseEvent(`${buffer}\n\n`);
  } finally {
    reader.cancel().catch(() => {});
  }
}

export function formatEvent(event: string | undefined, data: unknown): string {
  const payload = typeof data === "string" ? data : JSON.stringify(data);
  return event ? `event: ${event}\ndata: ${payload}\n\n` : `data: ${payload}\n\n`;
}

/** A writable side for the generator that produces the client's stream. */
export function clientStream(): { readable: ReadableStream<Uint8Array>; write: (text: string) => Promise<void>; close: () => Promise<void> } {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  return {
    readable,
    write: (text) => writer.write(encoder.encode(text)),
    close: () => writer.close().catch(() => {}),
  };
}
