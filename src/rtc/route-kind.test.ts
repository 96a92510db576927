/**
 * The route in words: getStats reports shaped as Chromium and Firefox give them (Chromium names the
 * pair in its transport report; Firefox has no transport report and marks the pair `selected`),
 * through pathFromStats to 'direct' or 'turn', and the worker relay known by its room.
 */
import { describe, expect, it } from 'vitest';
import { ROUTE_NAMES, routeName, routeOfPath, routeOfTransport, type RouteKind } from './route-kind';
import { pathFromStats } from './path-stats';
import type { PathInfo, Transport, TransportInfo } from './transport';

type Entry = Record<string, unknown>;
const report = (...entries: Entry[]): Map<string, unknown> =>
  new Map(entries.map((e) => [e['id'] as string, e]));

/** Chromium 15x: ids like "I…", "CP…_…", "T01"; the transport names the selected pair. */
function chromium(local: Entry, remote: Entry): Map<string, unknown> {
  return report(
    {
      id: 'T01',
      type: 'transport',
      selectedCandidatePairId: 'CPl1_r1',
      dtlsState: 'connected',
      iceState: 'connected',
    },
    // A pair that also succeeded but is not the one in use.
    {
      id: 'CPl0_r0',
      type: 'candidate-pair',
      transportId: 'T01',
      localCandidateId: 'Il0',
      remoteCandidateId: 'Ir0',
      state: 'succeeded',
      nominated: true,
    },
    {
      id: 'CPl1_r1',
      type: 'candidate-pair',
      transportId: 'T01',
      localCandidateId: 'Il1',
      remoteCandidateId: 'Ir1',
      state: 'succeeded',
      nominated: true,
      writable: true,
      bytesSent: 4242,
    },
    {
      id: 'Il0',
      type: 'local-candidate',
      transportId: 'T01',
      candidateType: 'host',
      protocol: 'udp',
      address: '10.0.0.2',
      port: 5000,
    },
    {
      id: 'Ir0',
      type: 'remote-candidate',
      transportId: 'T01',
      candidateType: 'host',
      protocol: 'udp',
      address: '10.0.0.3',
      port: 5001,
    },
    { id: 'Il1', type: 'local-candidate', transportId: 'T01', networkType: 'ethernet', ...local },
    { id: 'Ir1', type: 'remote-candidate', transportId: 'T01', ...remote },
  );
}

/** Firefox 128 ESR: no transport report; the pair in use has `selected: true`. */
function firefox(local: Entry, remote: Entry): Map<string, unknown> {
  return report(
    {
      id: '3b1a09f2',
      type: 'candidate-pair',
      localCandidateId: 'c0ffee01',
      remoteCandidateId: 'c0ffee02',
      state: 'succeeded',
      nominated: true,
      selected: true,
      priority: 9115005270282354000,
      readable: true,
      writable: true,
    },
    {
      id: '5d2c77e0',
      type: 'candidate-pair',
      localCandidateId: 'c0ffee03',
      remoteCandidateId: 'c0ffee02',
      state: 'frozen',
      nominated: false,
      selected: false,
    },
    { id: 'c0ffee01', type: 'local-candidate', proxied: 'non-proxied', ...local },
    { id: 'c0ffee02', type: 'remote-candidate', ...remote },
    {
      id: 'c0ffee03',
      type: 'local-candidate',
      candidateType: 'host',
      protocol: 'udp',
      address: '10.0.0.2',
      port: 6000,
    },
  );
}

const host = (address: string, port: number): Entry => ({
  candidateType: 'host',
  protocol: 'udp',
  address,
  port,
});
const srflx = (address: string, port: number): Entry => ({
  candidateType: 'srflx',
  protocol: 'udp',
  address,
  port,
});
const prflx = (address: string, port: number): Entry => ({
  candidateType: 'prflx',
  protocol: 'udp',
  address,
  port,
});
const relay = (address: string, port: number, relayProtocol?: string): Entry => ({
  candidateType: 'relay',
  protocol: 'udp',
  address,
  port,
  ...(relayProtocol ? { relayProtocol, url: `turn:turn.example:3478?transport=${relayProtocol}` } : {}),
});

const cases: [string, Entry, Entry, RouteKind][] = [
  ['host ⇄ host', host('192.168.1.20', 50_000), host('192.168.1.30', 50_001), 'direct'],
  ['mDNS host ⇄ prflx', host('4f1c2d3e.local', 50_000), prflx('192.168.1.30', 50_001), 'direct'],
  ['srflx ⇄ srflx', srflx('198.51.100.1', 40_000), srflx('203.0.113.9', 41_000), 'direct'],
  [
    'relay ⇄ relay (both through TURN)',
    relay('127.0.0.1', 34_790, 'udp'),
    relay('127.0.0.1', 34_791),
    'turn',
  ],
  ['relay over TLS ⇄ srflx', relay('203.0.113.7', 3478, 'tls'), srflx('198.51.100.9', 40_000), 'turn'],
  ['host ⇄ their relay', host('192.168.1.20', 50_000), relay('203.0.113.7', 49_152), 'turn'],
];

describe('routeOfPath', () => {
  for (const [browser, build] of [
    ['Chromium', chromium],
    ['Firefox', firefox],
  ] as const) {
    it.each(cases)(`${browser}: %s`, (_name, local, remote, kind) => {
      const path = pathFromStats(build(local, remote));
      expect(path).toBeDefined();
      expect(routeOfPath(path!)).toBe(kind);
    });
  }

  it('reads the pair in use, not another that succeeded', () => {
    // Chromium: the first pair (host ⇄ host) succeeded too, but the transport selected the relayed one.
    const path = pathFromStats(chromium(relay('127.0.0.1', 34_790, 'udp'), relay('127.0.0.1', 34_791)))!;
    expect(path.local).toMatchObject({ type: 'relay', relayProtocol: 'udp' });
    expect(routeOfPath(path)).toBe('turn');
  });
});

describe('the words', () => {
  it('names every route as the chat header and the inspector say it', () => {
    expect(routeName('direct')).toBe('Direct');
    expect(routeName('turn')).toBe('Relayed (TURN)');
    expect(routeName('worker-relay')).toBe('Relayed (SecMsg)');
    expect(Object.keys(ROUTE_NAMES).sort()).toEqual(['direct', 'turn', 'worker-relay']);
  });
});

function fakeTransport(info: Partial<TransportInfo> | 'closed', path?: PathInfo): Transport {
  return {
    get info(): TransportInfo {
      if (info === 'closed') throw new Error('closed');
      return {
        initiator: true,
        localFingerprint: new Uint8Array(32),
        remoteFingerprint: new Uint8Array(32),
        maxMessageSize: 65_536,
        ...info,
      };
    },
    send: () => undefined,
    close: () => undefined,
    on: () => () => undefined,
    ...(path ? { path: async () => Promise.resolve(path) } : {}),
  };
}

describe('routeOfTransport', () => {
  const relayed: PathInfo = {
    local: { type: 'relay', protocol: 'udp', relayProtocol: 'udp' },
    remote: { type: 'relay', protocol: 'udp' },
  };

  it('reads the DataChannel route from its path', async () => {
    expect(await routeOfTransport(fakeTransport({}, relayed))).toBe('turn');
    expect(
      await routeOfTransport(
        fakeTransport(
          {},
          { local: { type: 'host', protocol: 'udp' }, remote: { type: 'srflx', protocol: 'udp' } },
        ),
      ),
    ).toBe('direct');
  });

  it('knows the worker relay by its room, without stats', async () => {
    expect(await routeOfTransport(fakeTransport({ relayRoomId: new Uint8Array(32) }))).toBe('worker-relay');
  });

  it('says nothing when the path is not known or the transport is closed', async () => {
    expect(await routeOfTransport(fakeTransport({}))).toBeUndefined();
    expect(await routeOfTransport(fakeTransport('closed', relayed))).toBeUndefined();
  });
});
