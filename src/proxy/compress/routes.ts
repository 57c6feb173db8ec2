// POST /v1/compress and /v1/retrieve handlers (loopback callers only; the router checks).
export async function compressRoute(_req: Request): Promise<Response> {
  return Response.json({ error: { type: "not_available", message: "compression is not available in this build yet" } }, { status: 501 });
}

export async function retrieveRoute(_req: Request, _hash?: string): Promise<Response> {
  return Response.json({ error: { type: "not_available", message: "retrieval is not available in this build yet" } }, { status: 501 });
}
