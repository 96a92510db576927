/**
 * Pure readers over SDP text (RFC 8866) for a data-channel-only WebRTC session: the DTLS
 * certificate fingerprint (RFC 8122 §5), the SCTP max-message-size (RFC 8841 §6), the ICE
 * credentials and candidates (RFC 8839 §5), the DTLS setup role (RFC 4145 §4) and the
 * `m=application … webrtc-datachannel` section they live in.
 *
 * The fingerprint is what binds the Noise handshake to the DTLS session (DESIGN.md, prologue),
 * so it is read strictly: exactly one SHA-256 value, however many lines carry it. RFC 8122 lets
 * a description list several fingerprints and lets DTLS accept a certificate that matches any
 * of them, so a signaling party that added its own fingerprint (under SHA-256 or another
 * algorithm) beside the real one could terminate DTLS while both prologues still agreed. A
 * description with any other algorithm, or with two different SHA-256 values, is refused.
 */
import { RtcError } from './errors';
import { parseIPv6 } from './ip-address';

export type SdpType = 'offer' | 'answer';

/** An offer or an answer, as `RTCSessionDescriptionInit` carries it, with both fields present. */
export interface SessionDescription {
  type: SdpType;
  sdp: string;
}

export type SetupRole = 'actpass' | 'active' | 'passive';
export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';
export type CandidateProtocol = 'udp' | 'tcp';
export type TcpType = 'active' | 'passive' | 'so';

/** One `a=candidate` line (RFC 8839 §5.1), without the extensions SecMsg has no use for. */
export interface IceCandidate {
  foundation: string;
  component: number;
  protocol: CandidateProtocol;
  priority: number;
  /** An IPv4 or IPv6 address, or a hostname (Chromium's host candidates are `<uuid>.local`). */
  address: string;
  port: number;
  type: CandidateType;
  /** RFC 6544 §4.5, TCP candidates only. */
  tcpType?: TcpType;
}

export interface IceCredentials {
  ufrag: string;
  pwd: string;
}

export const SHA256_FINGERPRINT_LENGTH = 32;
/** RFC 8841 §6.1: without the attribute, assume the peer takes 64 KiB messages. */
export const DEFAULT_MAX_MESSAGE_SIZE = 65_536;
/**
 * What `a=max-message-size:0` ("any size") becomes: no SecMsg frame is larger than a 256 KiB
 * payload plus its 25-byte header and 32-byte MAC, so nothing bigger is ever sent.
 */
export const UNLIMITED_MAX_MESSAGE_SIZE = 256 * 1024 + 57;
/** RFC 8841 §5: the SCTP port when `a=sctp-port` is absent. */
export const DEFAULT_SCTP_PORT = 5000;

/** RFC 8839 §5.4: `ice-char = ALPHA / DIGIT / "+" / "/"`. */
const ICE_CHARS = /^[A-Za-z0-9+/]+$/;
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;

function lines(sdp: string): string[] {
  if (typeof sdp !== 'string') throw new RtcError('SIGNAL_INVALID', 'The connection details are not text.');
  return sdp.split(/\r?\n/).filter((l) => l.length > 0);
}

interface Sections {
  /** Session-level lines, before the first `m=`. */
  session: string[];
  /** The lines of the data channel's media section, its `m=` line first. */
  data: string[];
}

function sections(sdp: string): Sections {
  const all = lines(sdp);
  const session: string[] = [];
  const media: string[][] = [];
  for (const line of all) {
    if (line.startsWith('m=')) media.push([line]);
    else (media.at(-1) ?? session).push(line);
  }
  const data = media.find((m) => /^m=application \d+ [A-Z/]*SCTP webrtc-datachannel$/.test(m[0]!.trim()));
  if (!data) {
    throw new RtcError('SIGNAL_INVALID', 'The connection details have no data channel section.');
  }
  return { session, data };
}

/** The values of `a=<name>:` lines, trimmed, in order. */
function attributes(from: readonly string[], name: string): string[] {
  const prefix = `a=${name}:`;
  return from.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length).trim());
}

/** The data section's value for `name`, else the session's (media-level wins, RFC 8866 §5.13). */
function attribute(s: Sections, name: string): string | undefined {
  return attributes(s.data, name)[0] ?? attributes(s.session, name)[0];
}

/**
 * The SHA-256 DTLS certificate fingerprint (32 bytes) from `a=fingerprint` lines at session or
 * media level. Throws `NO_FINGERPRINT` without one, `UNSUPPORTED_FINGERPRINT` when any line
 * names another algorithm, and `SIGNAL_INVALID` when a value is malformed or two values differ.
 */
export function dtlsFingerprint(sdp: string): Uint8Array {
  const values = attributes(lines(sdp), 'fingerprint');
  if (values.length === 0) {
    throw new RtcError(
      'NO_FINGERPRINT',
      'The connection details carry no certificate fingerprint, so the connection cannot be secured.',
    );
  }
  let found: Uint8Array | undefined;
  for (const value of values) {
    const [algorithm = '', hex = '', ...rest] = value.split(/\s+/);
    if (algorithm.toLowerCase() !== 'sha-256') {
      throw new RtcError(
        'UNSUPPORTED_FINGERPRINT',
        'The connection details use a certificate fingerprint other than SHA-256, which SecMsg does not accept.',
      );
    }
    if (rest.length > 0 || !/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31}$/.test(hex)) {
      throw new RtcError(
        'SIGNAL_INVALID',
        'The certificate fingerprint in the connection details is malformed.',
      );
    }
    const bytes = Uint8Array.from(hex.split(':'), (h) => parseInt(h, 16));
    if (found && !found.every((b, i) => b === bytes[i])) {
      throw new RtcError(
        'SIGNAL_INVALID',
        'The connection details carry two different certificate fingerprints, so they cannot be trusted.',
      );
    }
    found = bytes;
  }
  return found!;
}

/** Formats 32 fingerprint bytes as SDP does: `AB:CD:…`, upper-case. */
export function formatFingerprint(fingerprint: Uint8Array): string {
  if (fingerprint.length !== SHA256_FINGERPRINT_LENGTH) {
    throw new RtcError('SIGNAL_INVALID', 'A SHA-256 fingerprint must be 32 bytes.');
  }
  return Array.from(fingerprint, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(':');
}

/**
 * The largest message the sender of this SDP accepts (RFC 8841 §6): its `a=max-message-size`,
 * 65,536 when absent, and `UNLIMITED_MAX_MESSAGE_SIZE` for 0 ("any size").
 */
export function maxMessageSize(sdp: string): number {
  const declared = declaredMaxMessageSize(sdp);
  if (declared === undefined) return DEFAULT_MAX_MESSAGE_SIZE;
  return declared === 0 ? UNLIMITED_MAX_MESSAGE_SIZE : declared;
}

/** The raw `a=max-message-size` value (0 = any size), or undefined when absent. */
export function declaredMaxMessageSize(sdp: string): number | undefined {
  const value = attribute(sections(sdp), 'max-message-size');
  if (value === undefined) return undefined;
  if (!/^\d{1,20}$/.test(value)) {
    throw new RtcError('SIGNAL_INVALID', 'The maximum message size in the connection details is malformed.');
  }
  return Math.min(Number(value), Number.MAX_SAFE_INTEGER);
}

/** `a=ice-ufrag` and `a=ice-pwd` (RFC 8839 §5.4), media-level first. */
export function iceCredentials(sdp: string): IceCredentials {
  const s = sections(sdp);
  const ufrag = attribute(s, 'ice-ufrag');
  const pwd = attribute(s, 'ice-pwd');
  if (ufrag === undefined || pwd === undefined) {
    throw new RtcError('SIGNAL_INVALID', 'The connection details have no ICE credentials.');
  }
  if (!isIceString(ufrag, 4) || !isIceString(pwd, 22)) {
    throw new RtcError('SIGNAL_INVALID', 'The ICE credentials in the connection details are malformed.');
  }
  return { ufrag, pwd };
}

/** True for 4..256 (ufrag) or 22..256 (pwd) `ice-char`s, RFC 8839 §5.4. */
export function isIceString(value: string, minLength: number): boolean {
  return value.length >= minLength && value.length <= 256 && ICE_CHARS.test(value);
}

/** The DTLS role this description asks for (RFC 4145 §4, RFC 8842 §5). */
export function setupRole(sdp: string): SetupRole {
  const value = attribute(sections(sdp), 'setup');
  if (value === 'actpass' || value === 'active' || value === 'passive') return value;
  throw new RtcError(
    'SIGNAL_INVALID',
    value === undefined
      ? 'The connection details do not say which side starts DTLS.'
      : 'The DTLS role in the connection details is not one SecMsg supports.',
  );
}

/** The data section's `a=mid` (RFC 8843 needs it to match between offer and answer). */
export function mediaId(sdp: string): string {
  const value = attributes(sections(sdp).data, 'mid')[0];
  if (value === undefined || !isMediaId(value)) {
    throw new RtcError('SIGNAL_INVALID', 'The data channel section has no valid media id.');
  }
  return value;
}

/** `a=sctp-port` (RFC 8841 §5), 5000 when absent. */
export function sctpPort(sdp: string): number {
  const value = attribute(sections(sdp), 'sctp-port');
  if (value === undefined) return DEFAULT_SCTP_PORT;
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(port >= 1 && port <= 65_535)) {
    throw new RtcError('SIGNAL_INVALID', 'The SCTP port in the connection details is malformed.');
  }
  return port;
}

/**
 * The candidates of the data section (and any at session level), in SDP order. Lines that do
 * not parse as RFC 8839 candidates SecMsg can use are skipped, as a browser would skip them.
 */
export function iceCandidates(sdp: string): IceCandidate[] {
  const s = sections(sdp);
  const out: IceCandidate[] = [];
  for (const value of [...attributes(s.session, 'candidate'), ...attributes(s.data, 'candidate')]) {
    const c = parseCandidate(value);
    if (c) out.push(c);
  }
  return out;
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An RFC 1123 host name (letters, digits, hyphens, dots; 253 characters at most). IPv4 text passes too. */
export function isHostname(value: string): boolean {
  return HOSTNAME.test(value);
}

/** An RFC 8866 §9 token of at most 32 characters, as a media id must be here. */
export function isMediaId(value: string): boolean {
  return value.length <= 32 && TOKEN.test(value);
}

/** Parses the value of one `a=candidate:` line (or a `candidate:` string), or returns null. */
export function parseCandidate(value: string): IceCandidate | null {
  const text = value.startsWith('candidate:') ? value.slice('candidate:'.length) : value;
  const f = text.trim().split(/\s+/);
  if (f.length < 8 || f[6] !== 'typ') return null;
  const [foundation, componentText, transport, priorityText, address, portText, , typeText] = f as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (foundation.length > 32 || !ICE_CHARS.test(foundation)) return null;
  if (!/^\d{1,3}$/.test(componentText) || !/^\d{1,10}$/.test(priorityText) || !/^\d{1,5}$/.test(portText)) {
    return null;
  }
  const component = Number(componentText);
  const priority = Number(priorityText);
  const port = Number(portText);
  const protocol = transport.toLowerCase();
  if (component < 1 || component > 256 || priority < 1 || priority > 0xffff_ffff || port > 65_535)
    return null;
  if (protocol !== 'udp' && protocol !== 'tcp') return null;
  if (typeText !== 'host' && typeText !== 'srflx' && typeText !== 'prflx' && typeText !== 'relay')
    return null;
  if (!(address.includes(':') ? parseIPv6(address) !== null : HOSTNAME.test(address))) return null;
  const candidate: IceCandidate = {
    foundation,
    component,
    protocol,
    priority,
    address,
    port,
    type: typeText,
  };
  for (let i = 8; i + 1 < f.length; i += 2) {
    if (f[i] === 'tcptype' && protocol === 'tcp') {
      const t = f[i + 1];
      if (t !== 'active' && t !== 'passive' && t !== 'so') return null;
      candidate.tcpType = t;
    }
  }
  if (protocol === 'tcp' && candidate.tcpType === undefined) return null;
  return candidate;
}

/**
 * Checks that a description is an offer or an answer whose SDP SecMsg can use, and returns its
 * fingerprint: the check to run before handing a remote description to the browser.
 */
export function checkDescription(desc: unknown): { desc: SessionDescription; fingerprint: Uint8Array } {
  if (typeof desc !== 'object' || desc === null) {
    throw new RtcError('SIGNAL_INVALID', 'The connection details are missing.');
  }
  const { type, sdp } = desc as { type?: unknown; sdp?: unknown };
  if ((type !== 'offer' && type !== 'answer') || typeof sdp !== 'string') {
    throw new RtcError('SIGNAL_INVALID', 'The connection details are neither an offer nor an answer.');
  }
  const fingerprint = dtlsFingerprint(sdp);
  sections(sdp); // a data channel section must be there
  return { desc: { type, sdp }, fingerprint };
}
