// What the forwarder hands the retrieval loop (index.ts) and each API's handler of it
// (anthropic.ts, openai-chat.ts, openai-responses.ts, rounds.ts). Types only.
import type { ApiKind } from "../types.ts";

export interface RetrievalContext {
  api: ApiKind;
  /** The body that was forwarded (with markers and the headroom_retrieve tool). */
  body: unknown;
  /** Whether the client asked for a stream. */
  stream: boolean;
  /** The upstream's response to `body`. */
  response: Response;
  /** Sends another body upstream (same headers, same route) and returns its response. */
  resend: (body: unknown) => Promise<Response>;
}
