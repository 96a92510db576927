/**
 * Which route a live connection takes, in words a person understands (DESIGN.md, Routes and
 * delivery; issue 12, item 4): read from the selected ICE candidate pair (`PathInfo`, from
 * getStats through `pathFromStats`), or from the transport itself when it is the worker relay.
 *
 *   either candidate of type 'relay'           → 'turn'          "Relayed (TURN)"
 *   host, srflx or prflx on both ends          → 'direct'        "Direct"
 *   the worker relay (no ICE at all)           → 'worker-relay'  "Relayed (SecMsg)"
 *
 * A local relay candidate is this device's own TURN allocation; a remote one is the other
 * device's. Either way the bytes pass a TURN server, so the route is relayed (still end-to-end
 * encrypted: the relay sees DTLS records only).
 */
import type { PathInfo, Transport } from './transport';

export type RouteKind = 'direct' | 'turn' | 'worker-relay';

/** The short name shown in the chat header and the inspector. */
export const ROUTE_NAMES: Readonly<Record<RouteKind, string>> = {
  direct: 'Direct',
  turn: 'Relayed (TURN)',
  'worker-relay': 'Relayed (SecMsg)',
};

/** What the route means for the person, said after its name ("Relayed (TURN): through …"). */
export const ROUTE_EXPLANATIONS: Readonly<Record<RouteKind, string>> = {
  direct: 'straight to their device.',
  turn: 'through a relay server, because no direct path was found or relaying was asked for; still end-to-end encrypted.',
  'worker-relay': 'through the SecMsg server, which passes on encrypted frames it cannot read.',
};

/** The route of an ICE candidate pair: relayed when either end is a TURN relay candidate. */
export function routeOfPath(path: PathInfo): 'direct' | 'turn' {
  return path.local.type === 'relay' || path.remote.type === 'relay' ? 'turn' : 'direct';
}

/**
 * The route a transport takes now, or undefined when it cannot tell (not connected yet, closed,
 * no stats). The worker relay is known by its relay room (TransportInfo.relayRoomId).
 */
export async function routeOfTransport(transport: Transport): Promise<RouteKind | undefined> {
  try {
    if (transport.info.relayRoomId !== undefined) return 'worker-relay';
  } catch {
    return undefined; // a closed transport has no info
  }
  const path = await transport.path?.();
  return path ? routeOfPath(path) : undefined;
}

/** "Relayed (TURN)", and so on. */
export function routeName(kind: RouteKind): string {
  return ROUTE_NAMES[kind];
}
