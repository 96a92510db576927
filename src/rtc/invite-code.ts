/**
 * Invite codes: a non-trickle offer or answer packed small enough to paste, type or scan, for
 * pairing with no server at all (DESIGN.md, "Pairing and signaling").
 *
 *   offerer                                                   answerer
 *   createOffer, gather candidates
 *   encodeInviteCode(offer)  ── text or QR code ──►  decodeInviteCode → setRemoteDescription
 *                                                    createAnswer, gather candidates
 *   decodeInviteCode(answer) ◄── text or QR code ──  encodeInviteCode(answer)
 *   setRemoteDescription; ICE, DTLS, SCTP; the data channel opens; Noise XX runs inside it
 *
 * A code keeps only what a data-channel-only session needs: offer or answer, the DTLS setup
 * role, the ICE ufrag and password, the 32-byte SHA-256 certificate fingerprint, the media id,
 * the SCTP port and max-message-size, and the candidates (address, port, type, UDP or TCP).
 * `decodeInviteCode` rebuilds a complete SDP from a fixed Chromium-shaped template
 * (`fixtures/chromium-*.sdp` are real ones). Candidate priorities are not sent: the encoder
 * lists candidates best first and the decoder derives RFC 8445 §5.1.2.1 priorities from that
 * order; foundations are renumbered. Nothing secret is in a code (the fingerprint is public by
 * design), but a changed code can point the other side at an attacker's DTLS endpoint: the
 * Noise handshake bound to both fingerprints is what detects that.
 *
 * Text: one version character (the version number as a base32 digit: "B" is version 1), then
 * the body in RFC 4648 base32 without padding. Decoding ignores case, spaces and hyphens.
 *
 * Body of version 1, big-endian:
 *
 * | bytes         | field                                                                       |
 * |---------------|-----------------------------------------------------------------------------|
 * | 2             | body length in bytes, this field and the checksum included                  |
 * | 1             | flags: bit 0 answer; bits 1–2 setup (0 actpass, 1 active, 2 passive); rest 0 |
 * | 1 + ⌈6n/8⌉    | ICE ufrag: n, then n ice-chars at 6 bits each (RFC 8839 §5.4, 64 symbols)    |
 * | 1 + ⌈6n/8⌉    | ICE password, the same way                                                  |
 * | 32            | SHA-256 DTLS fingerprint                                                    |
 * | 1 + n         | media id (ASCII token)                                                      |
 * | 2             | SCTP port                                                                   |
 * | 4             | max-message-size (0 = any size; absent is written as 65,536)                |
 * | 1             | candidate count (at most 16)                                                |
 * | per candidate | 1 header: bits 0–1 type (host, srflx, prflx, relay), bit 2 TCP, bits 3–4    |
 * |               | tcptype (none, active, passive, so), bits 5–6 address kind, bit 7 zero;     |
 * |               | address: IPv4 4, IPv6 16, `<uuid>.local` 16, hostname 1 + n ASCII; port 2   |
 * | 4             | CRC-32 of the version byte and everything above                             |
 */
import { BASE32_ALPHABET, decodeBase32, encodeBase32 } from './base32';
import { crc32 } from './crc32';
import { RtcError } from './errors';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip-address';
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  declaredMaxMessageSize,
  dtlsFingerprint,
  formatFingerprint,
  iceCandidates,
  iceCredentials,
  isHostname,
  isIceString,
  isMediaId,
  mediaId,
  sctpPort,
  setupRole,
  type CandidateType,
  type IceCandidate,
  type SessionDescription,
  type SetupRole,
  type TcpType,
} from './sdp';

export const INVITE_CODE_VERSION = 1;
/** More candidates than this make a code too big to scan; the best ones are kept. */
export const MAX_INVITE_CANDIDATES = 16;

const ICE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const SETUPS: readonly SetupRole[] = ['actpass', 'active', 'passive'];
const TYPES: readonly CandidateType[] = ['host', 'srflx', 'prflx', 'relay'];
const TCP_TYPES: readonly (TcpType | undefined)[] = [undefined, 'active', 'passive', 'so'];
/** RFC 8445 §5.1.2.2 recommended type preferences. */
const TYPE_PREFERENCE: Record<CandidateType, number> = { host: 126, prflx: 110, srflx: 100, relay: 0 };
const MDNS_UUID = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\.local$/;
const AddressKind = { IPv4: 0, IPv6: 1, MdnsUuid: 2, Hostname: 3 } as const;

/** What a code carries, before it becomes SDP again. */
export interface InviteContent {
  type: 'offer' | 'answer';
  setup: SetupRole;
  ufrag: string;
  pwd: string;
  fingerprint: Uint8Array;
  mid: string;
  sctpPort: number;
  /** 0 = any size. */
  maxMessageSize: number;
  candidates: Omit<IceCandidate, 'foundation' | 'component' | 'priority'>[];
}

// ---------------------------------------------------------------------------------------------
// Encoding

class Writer {
  private readonly bytes: number[] = [];
  u8(v: number): void {
    this.bytes.push(v & 0xff);
  }
  u16(v: number): void {
    this.u8(v >> 8);
    this.u8(v);
  }
  u32(v: number): void {
    this.u16(Math.floor(v / 0x10000));
    this.u16(v & 0xffff);
  }
  raw(b: Uint8Array): void {
    for (const x of b) this.u8(x);
  }
  ascii(s: string): void {
    this.u8(s.length);
    for (let i = 0; i < s.length; i++) this.u8(s.charCodeAt(i));
  }
  /** n, then n ice-chars at 6 bits each, most significant bit first. */
  ice(s: string): void {
    this.u8(s.length);
    let acc = 0;
    let bits = 0;
    for (const ch of s) {
      acc = ((acc << 6) | ICE_ALPHABET.indexOf(ch)) & 0x3fff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        this.u8(acc >> bits);
      }
    }
    if (bits > 0) this.u8(acc << (8 - bits));
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** Reads what an SDP says into the fields a code carries (throws RtcError from sdp.ts). */
export function inviteContent(desc: SessionDescription): InviteContent {
  if (desc.type !== 'offer' && desc.type !== 'answer') {
    throw new RtcError('SIGNAL_INVALID', 'Only an offer or an answer can become an invite code.');
  }
  const { sdp } = desc;
  const fingerprint = dtlsFingerprint(sdp);
  const { ufrag, pwd } = iceCredentials(sdp);
  if (ufrag.length > 255 || pwd.length > 255) {
    throw new RtcError('SIGNAL_INVALID', 'The ICE credentials are too long for an invite code.');
  }
  const mms = declaredMaxMessageSize(sdp);
  const candidates = iceCandidates(sdp)
    .filter((c) => c.component === 1)
    .map((c, index) => ({ c, index }))
    .sort((x, y) => y.c.priority - x.c.priority || x.index - y.index) // best first, stable
    .slice(0, MAX_INVITE_CANDIDATES)
    .map(({ c }) => ({
      protocol: c.protocol,
      address: c.address,
      port: c.port,
      type: c.type,
      ...(c.tcpType ? { tcpType: c.tcpType } : {}),
    }));
  return {
    type: desc.type,
    setup: setupRole(sdp),
    ufrag,
    pwd,
    fingerprint,
    mid: mediaId(sdp),
    sctpPort: sctpPort(sdp),
    // RFC 8841 §6.1: absent means 64 KiB; a value past 32 bits is "as good as any size" here.
    maxMessageSize: Math.min(mms ?? DEFAULT_MAX_MESSAGE_SIZE, 0xffff_ffff),
    candidates,
  };
}

function writeAddress(w: Writer, address: string): number {
  const v4 = parseIPv4(address);
  if (v4) {
    w.raw(v4);
    return AddressKind.IPv4;
  }
  const v6 = address.includes(':') ? parseIPv6(address) : null;
  if (v6) {
    w.raw(v6);
    return AddressKind.IPv6;
  }
  const uuid = MDNS_UUID.exec(address);
  if (uuid) {
    const hex = uuid.slice(1).join('');
    w.raw(Uint8Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16)));
    return AddressKind.MdnsUuid;
  }
  if (!isHostname(address)) {
    throw new RtcError('SIGNAL_INVALID', 'A candidate address in the connection details is malformed.');
  }
  w.ascii(address);
  return AddressKind.Hostname;
}

/** Packs an offer or answer into an invite code. Throws RtcError when the SDP is unusable. */
export function encodeInviteCode(desc: SessionDescription): string {
  const content = inviteContent(desc);
  const w = new Writer();
  w.u16(0); // length, patched below
  w.u8((content.type === 'answer' ? 1 : 0) | (SETUPS.indexOf(content.setup) << 1));
  w.ice(content.ufrag);
  w.ice(content.pwd);
  w.raw(content.fingerprint);
  w.ascii(content.mid);
  w.u16(content.sctpPort);
  w.u32(content.maxMessageSize);
  w.u8(content.candidates.length);
  for (const c of content.candidates) {
    const address = new Writer();
    const kind = writeAddress(address, c.address);
    w.u8(
      TYPES.indexOf(c.type) |
        ((c.protocol === 'tcp' ? 1 : 0) << 2) |
        (TCP_TYPES.indexOf(c.tcpType) << 3) |
        (kind << 5),
    );
    w.raw(address.done());
    w.u16(c.port);
  }
  const body = w.done();
  const length = body.length + 4;
  body[0] = length >> 8;
  body[1] = length & 0xff;
  const withVersion = new Uint8Array(1 + length);
  withVersion[0] = INVITE_CODE_VERSION;
  withVersion.set(body, 1);
  const crc = crc32(withVersion.subarray(0, 1 + body.length));
  new DataView(withVersion.buffer).setUint32(1 + body.length, crc);
  return BASE32_ALPHABET[INVITE_CODE_VERSION]! + encodeBase32(withVersion.subarray(1));
}

// ---------------------------------------------------------------------------------------------
// Decoding

const invalid = (): RtcError =>
  new RtcError('CODE_INVALID', 'This is not a valid SecMsg code; check it for typos, or scan it again.');

class Reader {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}
  u8(): number {
    if (this.offset >= this.bytes.length) throw invalid();
    return this.bytes[this.offset++]!;
  }
  u16(): number {
    return (this.u8() << 8) | this.u8();
  }
  u32(): number {
    return this.u16() * 0x10000 + this.u16();
  }
  raw(n: number): Uint8Array {
    if (this.offset + n > this.bytes.length) throw invalid();
    const out = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  ascii(): string {
    return String.fromCharCode(...this.raw(this.u8()));
  }
  ice(): string {
    const n = this.u8();
    const packed = this.raw(Math.ceil((6 * n) / 8));
    let out = '';
    let acc = 0;
    let bits = 0;
    for (const b of packed) {
      acc = ((acc << 8) | b) & 0x3fff;
      bits += 8;
      while (bits >= 6 && out.length < n) {
        bits -= 6;
        out += ICE_ALPHABET[(acc >> bits) & 63]!;
      }
    }
    if ((acc & ((1 << bits) - 1)) !== 0) throw invalid(); // padding bits must be zero
    return out;
  }
  get remaining(): number {
    return this.bytes.length - this.offset;
  }
}

function readAddress(r: Reader, kind: number): string {
  switch (kind) {
    case AddressKind.IPv4:
      return formatIPv4(r.raw(4));
    case AddressKind.IPv6:
      return formatIPv6(r.raw(16));
    case AddressKind.MdnsUuid: {
      const h = Array.from(r.raw(16), (b) => b.toString(16).padStart(2, '0')).join('');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}.local`;
    }
    default: {
      const name = r.ascii();
      // A dotted-quad or IPv6 "hostname" would be an address an encoder writes as one.
      if (!isHostname(name) || parseIPv4(name) || MDNS_UUID.test(name)) throw invalid();
      return name;
    }
  }
}

/** Unpacks a code into its fields. Throws RtcError CODE_* with a sentence for the person. */
export function decodeInviteContent(code: string): InviteContent {
  if (typeof code !== 'string') throw invalid();
  const text = code.replace(/[\s-]+/g, '').toUpperCase();
  if (text.length === 0) {
    throw new RtcError('CODE_INCOMPLETE', 'This code is empty; copy all of it, or scan it again.');
  }
  const version = BASE32_ALPHABET.indexOf(text[0]!);
  if (version < 0 || version === 0) throw invalid();
  if (version > INVITE_CODE_VERSION) {
    throw new RtcError(
      'CODE_TOO_NEW',
      'This code is from a newer version of SecMsg; update the app to use it.',
    );
  }
  const decoded = decodeBase32(text.slice(1));
  if (!decoded) throw invalid();
  const { bytes } = decoded;
  const incomplete = (): RtcError =>
    new RtcError('CODE_INCOMPLETE', 'This code is incomplete; copy all of it, or scan it again.');
  if (bytes.length < 2) throw incomplete();
  const length = (bytes[0]! << 8) | bytes[1]!;
  if (bytes.length < length) throw incomplete();
  if (bytes.length > length || !decoded.canonical || length < 2 + 4) throw invalid();
  const withVersion = new Uint8Array(1 + length);
  withVersion[0] = version;
  withVersion.set(bytes, 1);
  const view = new DataView(withVersion.buffer);
  if (crc32(withVersion.subarray(0, 1 + length - 4)) !== view.getUint32(1 + length - 4)) throw invalid();

  const r = new Reader(bytes.subarray(2, length - 4));
  const flags = r.u8();
  if (flags >> 3 !== 0) throw invalid();
  const setup = SETUPS[(flags >> 1) & 3];
  if (!setup) throw invalid();
  const ufrag = r.ice();
  const pwd = r.ice();
  if (!isIceString(ufrag, 4) || !isIceString(pwd, 22)) throw invalid();
  const fingerprint = r.raw(32);
  const mid = r.ascii();
  if (!isMediaId(mid)) throw invalid();
  const port = r.u16();
  if (port === 0) throw invalid();
  const maxMessageSize = r.u32();
  const count = r.u8();
  if (count > MAX_INVITE_CANDIDATES) throw invalid();
  const candidates: InviteContent['candidates'] = [];
  for (let i = 0; i < count; i++) {
    const header = r.u8();
    if (header & 0x80) throw invalid();
    const tcp = (header >> 2) & 1;
    const tcpType = TCP_TYPES[(header >> 3) & 3];
    if ((tcp === 1) !== (tcpType !== undefined)) throw invalid();
    const address = readAddress(r, (header >> 5) & 3);
    candidates.push({
      protocol: tcp ? 'tcp' : 'udp',
      address,
      port: r.u16(),
      type: TYPES[header & 3]!,
      ...(tcpType ? { tcpType } : {}),
    });
  }
  if (r.remaining !== 0) throw invalid();
  return {
    type: flags & 1 ? 'answer' : 'offer',
    setup,
    ufrag,
    pwd,
    fingerprint,
    mid,
    sctpPort: port,
    maxMessageSize,
    candidates,
  };
}

/**
 * RFC 8445 §5.1.2.1 priorities: type preference, then a local preference that falls with the
 * position in the code, never above the candidate before, so the code's order is kept.
 */
function candidateLines(candidates: InviteContent['candidates']): string[] {
  let previous = 2 ** 31;
  return candidates.map((c, i) => {
    const priority = Math.min(
      TYPE_PREFERENCE[c.type] * 2 ** 24 + (65_535 - i) * 2 ** 8 + (256 - 1),
      previous - 1,
    );
    previous = priority;
    const tcp = c.tcpType ? ` tcptype ${c.tcpType}` : '';
    return `a=candidate:${i + 1} 1 ${c.protocol} ${priority} ${c.address} ${c.port} typ ${c.type}${tcp}`;
  });
}

/** Rebuilds a complete data-channel-only SDP, shaped like Chromium's own, from a code's fields. */
export function inviteSdp(content: InviteContent): string {
  const sessionId = BigInt(
    '0x' + Array.from(content.fingerprint.subarray(0, 7), (b) => b.toString(16).padStart(2, '0')).join(''),
  );
  const lines = [
    'v=0',
    `o=- ${sessionId} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    `a=group:BUNDLE ${content.mid}`,
    'a=msid-semantic: WMS',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    ...candidateLines(content.candidates),
    `a=ice-ufrag:${content.ufrag}`,
    `a=ice-pwd:${content.pwd}`,
    `a=fingerprint:sha-256 ${formatFingerprint(content.fingerprint)}`,
    `a=setup:${content.setup}`,
    `a=mid:${content.mid}`,
    `a=sctp-port:${content.sctpPort}`,
    `a=max-message-size:${content.maxMessageSize}`,
  ];
  return lines.join('\r\n') + '\r\n';
}

/** Unpacks an invite code into an offer or answer Chromium accepts as a remote description. */
export function decodeInviteCode(code: string): SessionDescription {
  const content = decodeInviteContent(code);
  return { type: content.type, sdp: inviteSdp(content) };
}
