// Relays an upstream body to the client chunk by chunk as it arrives (nothing is held
// back), handing each chunk to a side reader too. The client going away cancels the
// upstream read, which closes the upstream connection.
import type { UsageReader } from "./usage.ts";

export type RelayEnd = "done" | "cancelled" | "error";

export function relayStream(
  source: ReadableStream<Uint8Array>,
  side: UsageReader | null,
  onEnd: (how: RelayEnd) => void,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let ended = false;
  const end = (how: RelayEnd) => {
    if (ended) return;
    ended = true;
    onEnd(how);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let result: Awaited<ReturnType<typeof reader.read>>;
        try {
          result = await reader.read();
        } catch (err) {
          end("error");
          controller.error(err);
          return;
        }
        if (result.done) {
          controller.close();
          end("done");
          return;
        }
        controller.enqueue(result.value);
        if (side) {
          try {
            side.push(result.value);
          } catch {
            side = null;
          }
        }
      },
      cancel(reason) {
        end("cancelled");
        return reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}
