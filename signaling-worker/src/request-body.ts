/**
 * Reading a request's body within a limit, for the HTTP routes (mailbox-routes.ts,
 * directory-routes.ts): the declared length is checked first, then the bytes as they come, so an
 * oversized body is refused without being read whole. The errors are the caller's, so each route
 * answers in its own contract's words.
 */
export interface BodyRefusals {
  /** The body is over the limit. */
  tooLarge: () => Error;
  /** The body could not be read, or (for text) is not UTF-8; `cause` when there is one. */
  unreadable: (message: string, cause?: unknown) => Error;
}

export async function readBody(request: Request, max: number, refuse: BodyRefusals): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > max) throw refuse.tooLarge();
  if (!request.body) return new Uint8Array(0);
  const reader: ReadableStreamDefaultReader<unknown> = request.body.getReader();
  const parts: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!(value instanceof Uint8Array)) throw refuse.unreadable('The request body could not be read.');
    length += value.byteLength;
    if (length > max) {
      await reader.cancel();
      throw refuse.tooLarge();
    }
    parts.push(value);
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** The body as UTF-8 text (strict), within `max` bytes. */
export async function readText(request: Request, max: number, refuse: BodyRefusals): Promise<string> {
  const bytes = await readBody(request, max, refuse);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    throw refuse.unreadable('The request body is not UTF-8.', cause);
  }
}
