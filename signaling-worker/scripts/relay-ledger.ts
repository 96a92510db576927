/**
 * The load script's bookkeeping: every blob it sends carries who sent it where (run, room, sender,
 * sequence number) and random filler; every blob a peer receives is matched against what was sent.
 * A blob counts as relayed when it reaches the other peer of its own room, unchanged, once.
 */
export type Side = 'a' | 'b';

export interface BlobTag {
  readonly run: string;
  readonly room: number;
  readonly from: Side;
  readonly seq: number;
}

const MAGIC = 'SMLOAD1';

/** A blob `d` (unpadded base64url) whose bytes start with the tag, followed by `filler`. */
export function makeBlob(tag: BlobTag, filler: Uint8Array): string {
  const head = Buffer.from(`${MAGIC} ${tag.run} ${tag.room} ${tag.from} ${tag.seq} `, 'latin1');
  return Buffer.concat([head, filler]).toString('base64url');
}

/** The tag of a blob made by `makeBlob`, or null for anything else. */
export function readTag(d: string): BlobTag | null {
  const head = Buffer.from(d.slice(0, 128), 'base64url').toString('latin1').split(' ');
  const [magic, run, room, from, seq] = head;
  if (magic !== MAGIC || run === undefined || head.length < 6) return null;
  if ((from !== 'a' && from !== 'b') || !/^\d+$/.test(room ?? '') || !/^\d+$/.test(seq ?? '')) return null;
  return { run, room: Number(room), from, seq: Number(seq) };
}

export type Receipt =
  'ok' | 'foreign' | 'wrong-room' | 'echoed' | 'corrupted' | 'duplicated' | 'out-of-order';

export interface LedgerCounts {
  sent: number;
  /** Reached the other peer of its room, unchanged; the first time (in order or not). */
  relayed: number;
  /** Arrived in a room it was not sent to. */
  wrongRoom: number;
  /** Came back to the peer that sent it. */
  echoed: number;
  /** Not a blob this run sent (another run's, or not one of ours at all). */
  foreign: number;
  /** Tagged as ours but not the bytes that were sent with that tag. */
  corrupted: number;
  duplicated: number;
  outOfOrder: number;
  /** Sent and never relayed. */
  lost: number;
}

interface Stream {
  readonly sent: string[];
  readonly seen: Set<number>;
  next: number;
}

export interface RelayLedger {
  recordSent(room: number, from: Side, seq: number, d: string): void;
  /** Classifies a blob received by peer `to` of room `room`, and counts it. */
  recordReceived(room: number, to: Side, d: string): Receipt;
  /** How many of `from`'s blobs in `room` have reached the other peer (unique). */
  delivered(room: number, from: Side): number;
  counts(): LedgerCounts;
}

export function createRelayLedger(run: string): RelayLedger {
  const streams = new Map<string, Stream>();
  const stream = (room: number, from: Side): Stream => {
    const key = `${room}/${from}`;
    let s = streams.get(key);
    if (s === undefined) {
      s = { sent: [], seen: new Set(), next: 0 };
      streams.set(key, s);
    }
    return s;
  };
  const tally = { foreign: 0, wrongRoom: 0, echoed: 0, corrupted: 0, duplicated: 0, outOfOrder: 0 };

  const classify = (room: number, to: Side, d: string): Receipt => {
    const tag = readTag(d);
    if (tag === null || tag.run !== run) return 'foreign';
    if (tag.room !== room) return 'wrong-room';
    if (tag.from === to) return 'echoed';
    const s = streams.get(`${tag.room}/${tag.from}`);
    if (s === undefined || s.sent[tag.seq] !== d) return 'corrupted';
    if (s.seen.has(tag.seq)) return 'duplicated';
    s.seen.add(tag.seq);
    if (tag.seq !== s.next) {
      s.next = Math.max(s.next, tag.seq + 1);
      return 'out-of-order';
    }
    s.next = tag.seq + 1;
    return 'ok';
  };

  return {
    recordSent: (room, from, seq, d) => {
      const s = stream(room, from);
      if (seq !== s.sent.length) throw new Error(`recordSent: room ${room} ${from} seq ${seq} out of turn`);
      s.sent.push(d);
    },
    recordReceived: (room, to, d) => {
      const receipt = classify(room, to, d);
      switch (receipt) {
        case 'ok':
          break;
        case 'foreign':
          tally.foreign++;
          break;
        case 'wrong-room':
          tally.wrongRoom++;
          break;
        case 'echoed':
          tally.echoed++;
          break;
        case 'corrupted':
          tally.corrupted++;
          break;
        case 'duplicated':
          tally.duplicated++;
          break;
        case 'out-of-order':
          tally.outOfOrder++;
          break;
      }
      return receipt;
    },
    delivered: (room, from) => streams.get(`${room}/${from}`)?.seen.size ?? 0,
    counts: () => {
      let sent = 0;
      let relayed = 0;
      for (const s of streams.values()) {
        sent += s.sent.length;
        relayed += s.seen.size;
      }
      return { sent, relayed, ...tally, lost: sent - relayed };
    },
  };
}
