/**
 * The candidate pair in use, read from getStats() reports shaped as Chromium and Firefox give
 * them; route-kind.test.ts takes the result on to a route in words.
 */
import { describe, expect, it } from 'vitest';
import { pathFromStats } from './path-stats';
import { hostLocal, prflxRemote, relayLocal, srflxRemote, statsReport } from './stats-report.test-util';

describe('pathFromStats: the candidate pair in use', () => {
  it("follows the transport's selectedCandidatePairId, even past another nominated pair", () => {
    const report = statsReport(
      hostLocal,
      prflxRemote,
      relayLocal,
      srflxRemote,
      {
        id: 'P1',
        type: 'candidate-pair',
        localCandidateId: 'L1',
        remoteCandidateId: 'R1',
        state: 'succeeded',
        nominated: true,
      },
      {
        id: 'P2',
        type: 'candidate-pair',
        localCandidateId: 'L2',
        remoteCandidateId: 'R2',
        state: 'succeeded',
        nominated: true,
      },
      { id: 'T1', type: 'transport', selectedCandidatePairId: 'P2', dtlsState: 'connected' },
    );
    expect(pathFromStats(report)).toEqual({
      local: { type: 'relay', protocol: 'udp', relayProtocol: 'tls', address: '203.0.113.7', port: 3478 },
      remote: { type: 'srflx', protocol: 'udp', address: '198.51.100.9', port: 40_000 },
    });
  });

  it('without a transport report, takes the succeeded and nominated pair', () => {
    const report = statsReport(
      hostLocal,
      prflxRemote,
      relayLocal,
      srflxRemote,
      {
        id: 'P2',
        type: 'candidate-pair',
        localCandidateId: 'L2',
        remoteCandidateId: 'R2',
        state: 'in-progress',
        nominated: true,
      },
      {
        id: 'P3',
        type: 'candidate-pair',
        localCandidateId: 'L2',
        remoteCandidateId: 'R1',
        state: 'succeeded',
        nominated: false,
      },
      {
        id: 'P1',
        type: 'candidate-pair',
        localCandidateId: 'L1',
        remoteCandidateId: 'R1',
        state: 'succeeded',
        nominated: true,
      },
    );
    expect(pathFromStats(report)).toEqual({
      local: { type: 'host', protocol: 'udp', address: '192.168.1.20', port: 54_321 },
      remote: { type: 'prflx', protocol: 'udp', address: '192.168.1.30', port: 61_000 },
    });
  });

  it('takes the pair Firefox marks selected, and reports what the browser hides as unknown', () => {
    const report = statsReport(
      { id: 'L3', type: 'local-candidate', candidateType: 'host', protocol: 'tcp', address: 'a1b2.local' },
      { id: 'R3', type: 'remote-candidate', candidateType: 'weird', port: 99_999 },
      {
        id: 'P1',
        type: 'candidate-pair',
        localCandidateId: 'L1',
        remoteCandidateId: 'R1',
        state: 'succeeded',
        nominated: true,
      },
      { id: 'P3', type: 'candidate-pair', localCandidateId: 'L3', remoteCandidateId: 'R3', selected: true },
      hostLocal,
      prflxRemote,
    );
    expect(pathFromStats(report)).toEqual({
      local: { type: 'host', protocol: 'tcp', address: 'a1b2.local' },
      remote: { type: 'unknown', protocol: 'unknown' },
    });
  });

  it('is undefined without a usable pair or its candidates', () => {
    expect(pathFromStats(new Map())).toBeUndefined();
    expect(
      pathFromStats(
        statsReport(hostLocal, prflxRemote, {
          id: 'P1',
          type: 'candidate-pair',
          localCandidateId: 'L1',
          remoteCandidateId: 'R1',
          state: 'in-progress',
          nominated: false,
        }),
      ),
    ).toBeUndefined();
    expect(
      pathFromStats(
        statsReport(
          hostLocal,
          {
            id: 'P1',
            type: 'candidate-pair',
            localCandidateId: 'L1',
            remoteCandidateId: 'R9',
            selected: true,
          },
          { id: 'T1', type: 'transport', selectedCandidatePairId: 'L1' }, // not a pair: ignored
        ),
      ),
    ).toBeUndefined();
  });
});
