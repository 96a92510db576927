/**
 * The signaling worker's entry: a stateless router. `GET /rooms/<roomId>` with a WebSocket
 * upgrade goes to the Room Durable Object named by the room id; `/mailboxes/…` to the Mailbox
 * named by the mailbox id (mailbox-routes.ts); `/directory/…` to the username Directory named by
 * the handle hash (directory-routes.ts); `/nameplates` and `/nameplates/<n>` (short codes) to the
 * one Nameplates object (nameplate-routes.ts); `/turn` is refused (TURN credentials come only
 * through a room); anything else gets a short plain-text answer. Only the handler and the Durable
 * Object classes are exported: workerd refuses any other kind of value exported from the entry
 * module.
 */
import { DIRECTORY_PATH_PREFIX } from '../../src/protocol/directory';
import { MAILBOX_PATH_PREFIX, PUSH_KEY_PATH } from '../../src/protocol/mailbox';
import { RELAY_PATH_PREFIX, RelayCloseCode, isRelayRoomId, relayCloseReason } from '../../src/protocol/relay';
import { ROOM_PATH_PREFIX, SignalingCloseCode, isRoomId } from '../../src/protocol/signaling';
import { TURN_HTTP_REFUSAL, TURN_PATH } from '../../src/protocol/turn';
import { routeDirectory } from './directory-routes';
import { routeMailbox, routePushKey } from './mailbox-routes';
import { isNameplateRoute, routeNameplates } from './nameplate-routes';
import { refuseWebSocket, textResponse } from './responses';

export { Directory, DirectoryLimiter } from './directory';
export { Mailbox } from './mailbox';
export { Nameplates } from './nameplates';
export { Relay } from './relay';
export { Room } from './room';

function route(request: Request, env: Env): Response | Promise<Response> {
  const { pathname } = new URL(request.url);
  if (pathname.startsWith(MAILBOX_PATH_PREFIX)) return routeMailbox(request, env);
  if (pathname.startsWith(DIRECTORY_PATH_PREFIX)) return routeDirectory(request, env);
  if (pathname === PUSH_KEY_PATH) return routePushKey(request, env);
  if (isNameplateRoute(pathname)) return routeNameplates(request, env, pathname);
  // TURN credentials come only through a room's WebSocket (src/protocol/turn.ts), never over HTTP.
  if (pathname === TURN_PATH)
    return textResponse(403, TURN_HTTP_REFUSAL, { 'access-control-allow-origin': '*' });
  if (pathname.startsWith(RELAY_PATH_PREFIX))
    return routeRelay(request, env, pathname.slice(RELAY_PATH_PREFIX.length));
  if (!pathname.startsWith(ROOM_PATH_PREFIX)) return textResponse(404, 'Not found.');
  const roomId = pathname.slice(ROOM_PATH_PREFIX.length);
  if (request.method !== 'GET') {
    return textResponse(405, 'Only GET, with a WebSocket upgrade, is allowed here.', { allow: 'GET' });
  }
  const upgrade = request.headers.get('upgrade')?.toLowerCase() === 'websocket';
  if (!isRoomId(roomId)) {
    return upgrade
      ? refuseWebSocket(SignalingCloseCode.BAD_REQUEST)
      : textResponse(400, 'Bad room id: expected 43 base64url characters.');
  }
  if (!upgrade) return textResponse(426, 'Expected a WebSocket upgrade.', { upgrade: 'websocket' });
  return env.ROOMS.get(env.ROOMS.idFromName(roomId)).fetch(request);
}

/** `GET /relay/<relayRoomId>` with a WebSocket upgrade: to the Relay Durable Object of that id. */
function routeRelay(request: Request, env: Env, id: string): Response | Promise<Response> {
  if (request.method !== 'GET') {
    return textResponse(405, 'Only GET, with a WebSocket upgrade, is allowed here.', { allow: 'GET' });
  }
  const upgrade = request.headers.get('upgrade')?.toLowerCase() === 'websocket';
  if (!isRelayRoomId(id)) {
    if (!upgrade) return textResponse(400, 'Bad relay room id: expected 43 base64url characters.');
    const { 0: client, 1: server } = new WebSocketPair();
    server.accept();
    server.close(RelayCloseCode.BAD_REQUEST, relayCloseReason(RelayCloseCode.BAD_REQUEST));
    return new Response(null, { status: 101, webSocket: client });
  }
  if (!upgrade) return textResponse(426, 'Expected a WebSocket upgrade.', { upgrade: 'websocket' });
  return env.RELAYS.get(env.RELAYS.idFromName(id)).fetch(request);
}

// eslint-disable-next-line no-restricted-syntax -- workerd calls the entry module's default export
export default {
  async fetch(request, env): Promise<Response> {
    try {
      return await route(request, env);
    } catch (e) {
      // Logged for the operator; the client gets a sentence, never a stack.
      console.error('router: unexpected error', e);
      return textResponse(500, 'The signaling server had a problem. Try again in a moment.');
    }
  },
} satisfies ExportedHandler<Env>;
