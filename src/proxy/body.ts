// Request bodies: the 100 MB limit and Content-Encoding decoding (gzip, deflate, br, zstd).
import { brotliDecompressSync, gunzipSync, inflateSync, zstdDecompressSync } from "node:zlib";

export const MAX_BODY_BYTES = 100 * 1024 * 1024;

export class BodyError extends Error {
  constructor(readonly status: 400 | 413, message: string) {
    super(message);
  }
}

/** Reads the request body (null when there is none); throws BodyError(413) over the limit. */
export async function readRequestBody(req: Request, limit = MAX_BODY_BYTES): Promise<Uint8Array | null> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    throw new BodyError(413, `The request body is larger than the ${limit / 1024 / 1024} MB limit.`);
  }
  // GET and HEAD carry no body; for the rest, bytes() without touching req.body (which
  // would create a stream object for nothing).
  if (req.method === "GET" || req.method === "HEAD") return null;
  const bytes = await req.bytes();
  if (bytes.byteLength > limit) throw new BodyError(413, `The request body is larger than the ${limit / 1024 / 1024} MB limit.`);
  return bytes.byteLength === 0 ? null : bytes;
}

const DECODERS: Record<string, (buf: Uint8Array, opts: { maxOutputLength: number }) => Uint8Array> = {
  gzip: gunzipSync,
  "x-gzip": gunzipSync,
  deflate: inflateSync,
  br: brotliDecompressSync,
  zstd: zstdDecompressSync,
};

/** True when the Content-Encoding header names something other than identity. */
export function isEncoded(contentEncoding: string | null): boolean {
  return !!contentEncoding && contentEncoding.trim().toLowerCase() !== "identity" && contentEncoding.trim() !== "";
}

/**
 * Decodes a body by its Content-Encoding (a list is undone right to left). An unknown
 * coding or a corrupt body is a BodyError(400); output over the limit a BodyError(413).
 */
export function decodeBody(bytes: Uint8Array, contentEncoding: string, limit = MAX_BODY_BYTES): Uint8Array {
  const codings = contentEncoding.split(",").map((c) => c.trim().toLowerCase()).filter((c) => c && c !== "identity");
  let out = bytes;
  for (const coding of codings.reverse()) {
    const decode = DECODERS[coding];
    if (!decode) throw new BodyError(400, `Unsupported Content-Encoding "${coding}"; send gzip, deflate, br, zstd or an uncompressed body.`);
    try {
      out = decode(out, { maxOutputLength: limit });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || err instanceof RangeError) {
        throw new BodyError(413, `The decoded request body is larger than the ${limit / 1024 / 1024} MB limit.`);
      }
      throw new BodyError(400, `The request body is not valid ${coding} data.`);
    }
  }
  return out;
}
