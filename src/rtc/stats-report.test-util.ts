/**
 * getStats() reports for tests of path-stats.ts and of the transport's path(): candidate entries
 * with the fields browsers fill in, and a report built from entries.
 */

/** A getStats() report as Chromium builds one: objects keyed by id, linked by id. */
export function statsReport(...entries: Record<string, unknown>[]): Map<string, unknown> {
  return new Map(entries.map((e) => [e['id'] as string, e]));
}

export const hostLocal = {
  id: 'L1',
  type: 'local-candidate',
  candidateType: 'host',
  protocol: 'udp',
  address: '192.168.1.20',
  port: 54_321,
};
export const prflxRemote = {
  id: 'R1',
  type: 'remote-candidate',
  candidateType: 'prflx',
  protocol: 'udp',
  address: '192.168.1.30',
  port: 61_000,
};
export const relayLocal = {
  id: 'L2',
  type: 'local-candidate',
  candidateType: 'relay',
  protocol: 'udp',
  relayProtocol: 'tls',
  address: '203.0.113.7',
  port: 3478,
};
export const srflxRemote = {
  id: 'R2',
  type: 'remote-candidate',
  candidateType: 'srflx',
  protocol: 'udp',
  ip: '198.51.100.9', // the older name of `address`
  port: 40_000,
};
