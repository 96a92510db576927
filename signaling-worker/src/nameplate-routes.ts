/**
 * The router's part for short codes (index.ts): `GET /nameplates` (make a nameplate) and
 * `GET /nameplates/<n>` (claim it), each with a WebSocket upgrade, go to the one Nameplates object
 * (nameplates.ts); anything else gets a sentence, or a close code where it asked for an upgrade.
 * Also the small WebSocket helpers that object uses to close and send.
 */
import {
  MAX_NAMEPLATE,
  NAMEPLATE_PATH,
  type NameplateCloseCode,
  NameplateError,
  isNameplateCloseCode,
  nameplateCloseReason,
  parseNameplatePath,
} from '../../src/protocol/nameplate';
import { textResponse } from './responses';

/** The name of the one object that holds every nameplate. */
const OBJECT_NAME = 'nameplates';

export const isUpgrade = (request: Request): boolean =>
  request.headers.get('upgrade')?.toLowerCase() === 'websocket';

/** The reason to close with `code`: the contract's for a nameplate close code, else none. */
export function reasonFor(code: number): string {
  return isNameplateCloseCode(code) ? nameplateCloseReason(code) : '';
}

export function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closed by the other side.
  }
}

/**
 * Sends to a socket whose connection may have just broken (the runtime can still report it open):
 * a lost connection is that socket's `webSocketClose` to handle, not an error here.
 */
export function safeSend(ws: WebSocket, text: string): void {
  try {
    ws.send(text);
  } catch {
    // The connection is gone; its close handler deals with it.
  }
}

/** Completes the upgrade only to close it at once with `code` (a browser can read a close code). */
export function refuseNameplate(code: NameplateCloseCode): Response {
  const { 0: client, 1: server } = new WebSocketPair();
  server.accept();
  server.close(code, nameplateCloseReason(code));
  return new Response(null, { status: 101, webSocket: client });
}

export function isNameplateRoute(pathname: string): boolean {
  return pathname === NAMEPLATE_PATH || pathname.startsWith(`${NAMEPLATE_PATH}/`);
}

export function routeNameplates(request: Request, env: Env, pathname: string): Response | Promise<Response> {
  if (request.method !== 'GET') {
    return textResponse(405, 'Only GET, with a WebSocket upgrade, is allowed here.', { allow: 'GET' });
  }
  const upgrade = isUpgrade(request);
  try {
    parseNameplatePath(pathname);
  } catch (e) {
    if (!NameplateError.is(e)) throw e;
    if (upgrade) return refuseNameplate(e.closeCode);
    return textResponse(
      400,
      `Bad nameplate: expected ${NAMEPLATE_PATH}/ and a number from 1 to ${MAX_NAMEPLATE}.`,
    );
  }
  if (!upgrade) return textResponse(426, 'Expected a WebSocket upgrade.', { upgrade: 'websocket' });
  return env.NAMEPLATES.get(env.NAMEPLATES.idFromName(OBJECT_NAME)).fetch(request);
}
