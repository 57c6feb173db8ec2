// Relays an upstream body to the client chunk by chunk as it arrives (nothing is held
// back), handing each chunk to a side reader too. The client going away cancels the
// upstream read, which closes the upstream connection.
//
// Uses Bun's "direct" ReadableStream: chunks are written straight to the client socket
// without a second queue, which is measurably cheaper than a pull-based wrapper.
import type { ReadableStreamDefaultReader as DeclaredReader } from "node:stream/web";
import type { UsageReader } from "./usage.ts";

export type RelayEnd = "done" | "cancelled" | "error";

/**
 * A stream's reader as Bun makes it: the declared one (Node's) plus Bun's readMany, every
 * chunk already queued in one call, which the declared getReader() does not mention.
 */
type Reader = DeclaredReader<Uint8Array> & { readMany?: ReadableStreamDefaultReader<Uint8Array>["readMany"] };

export function relayStream(
  source: ReadableStream<Uint8Array>,
  side: UsageReader | null,
  onEnd: (how: RelayEnd) => void,
): ReadableStream<Uint8Array> {
  const reader: Reader = source.getReader();
  const readMany =
    typeof reader.readMany === "function"
      ? () => reader.readMany!()
      : async () => {
          const r = await reader.read();
          return { done: r.done, value: r.done || !r.value ? [] : [r.value] };
        };
  let ended = false;
  const end = (how: RelayEnd) => {
    if (ended) return;
    ended = true;
    onEnd(how);
  };
  const feed = (chunk: Uint8Array) => {
    if (!side) return;
    try {
      side.push(chunk);
    } catch {
      side = null;
    }
  };
  const underlying: Bun.DirectUnderlyingSource<Uint8Array> = {
    type: "direct",
    async pull(controller) {
      try {
        for (;;) {
          // Under load several chunks are often queued: take them all, write them, flush once.
          const { done, value } = await readMany();
          if (ended) return;
          for (const chunk of value) {
            const wrote = controller.write(chunk);
            if (wrote instanceof Promise) await wrote;
          }
          if (value.length > 0) {
            const flushed = controller.flush();
            if (flushed instanceof Promise) await flushed;
            for (const chunk of value) feed(chunk);
          }
          if (done) break;
        }
      } catch (err) {
        if (ended) return;
        end("error");
        reader.cancel(err).catch(() => {});
        controller.close(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (ended) return;
      end("done");
      controller.close();
    },
    cancel(reason?: unknown) {
      end("cancelled");
      return reader.cancel(reason).catch(() => {});
    },
  };
  return new ReadableStream(underlying);
}
