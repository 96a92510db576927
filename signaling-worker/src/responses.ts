/** The only two kinds of answer the worker gives besides a room's own WebSocket. */
import { type SignalingCloseCode, closeReason } from '../../src/protocol/signaling';

/** A short plain-text answer: a sentence, never a stack. */
export function textResponse(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(`${body}\n`, {
    status,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...headers,
    },
  });
}

/**
 * Completes a WebSocket upgrade only to close it at once with `code`: a browser cannot read the
 * status of a refused upgrade, but it can read a close code.
 */
export function refuseWebSocket(code: SignalingCloseCode): Response {
  const { 0: client, 1: server } = new WebSocketPair();
  server.accept();
  server.close(code, closeReason(code));
  return new Response(null, { status: 101, webSocket: client });
}
