/**
 * The route a WebRTC connection takes, read from `RTCPeerConnection.getStats()` (W3C
 * webrtc-stats): the candidate pair in use and its two candidates, as `PathInfo`. Chromium names
 * the pair in its transport report; Firefox has no transport report and marks the pair
 * `selected`. route-kind.ts puts the result in words.
 */
import type { CandidateInfo, PathInfo } from './transport';

type StatsEntry = Readonly<Record<string, unknown>>;

function statsEntry(value: unknown): StatsEntry | undefined {
  return typeof value === 'object' && value !== null ? (value as StatsEntry) : undefined;
}

function statsString(entry: StatsEntry, key: string): string | undefined {
  const value = entry[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const CANDIDATE_TYPES: readonly CandidateInfo['type'][] = ['host', 'srflx', 'prflx', 'relay'];

function candidateInfo(entry: StatsEntry): CandidateInfo {
  const type = statsString(entry, 'candidateType');
  const info: CandidateInfo = {
    type: CANDIDATE_TYPES.find((t) => t === type) ?? 'unknown',
    protocol: statsString(entry, 'protocol') ?? 'unknown',
  };
  // `ip` is the older name of `address` (Chromium before 2021).
  const address = statsString(entry, 'address') ?? statsString(entry, 'ip');
  if (address !== undefined) info.address = address;
  const port = entry['port'];
  if (typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 0xffff) info.port = port;
  const relayProtocol = statsString(entry, 'relayProtocol');
  if (relayProtocol !== undefined) info.relayProtocol = relayProtocol;
  return info;
}

/**
 * The candidate pair in use, read from an `RTCPeerConnection.getStats()` report (W3C
 * webrtc-stats): the transport's `selectedCandidatePairId`; else a pair Firefox marks `selected`;
 * else a succeeded, nominated pair. Then that pair's local-candidate and remote-candidate reports.
 */
export function pathFromStats(report: ReadonlyMap<string, unknown>): PathInfo | undefined {
  const entries: StatsEntry[] = [];
  for (const value of report.values()) {
    const entry = statsEntry(value);
    if (entry) entries.push(entry);
  }
  const isPair = (e: StatsEntry | undefined): e is StatsEntry => e?.['type'] === 'candidate-pair';
  let pair: StatsEntry | undefined;
  for (const e of entries) {
    const id = e['type'] === 'transport' ? statsString(e, 'selectedCandidatePairId') : undefined;
    const candidate = id === undefined ? undefined : statsEntry(report.get(id));
    if (isPair(candidate)) {
      pair = candidate;
      break;
    }
  }
  pair ??=
    entries.find((e) => isPair(e) && e['selected'] === true) ??
    entries.find((e) => isPair(e) && e['state'] === 'succeeded' && e['nominated'] === true);
  if (!pair) return undefined;
  const localId = statsString(pair, 'localCandidateId');
  const remoteId = statsString(pair, 'remoteCandidateId');
  const local = localId === undefined ? undefined : statsEntry(report.get(localId));
  const remote = remoteId === undefined ? undefined : statsEntry(report.get(remoteId));
  if (!local || !remote) return undefined;
  return { local: candidateInfo(local), remote: candidateInfo(remote) };
}
