/**
 * Short-code pairing up to the meeting, with the worker's nameplate replaced by an in-memory one
 * that passes m1, m2 and m3 between the two sides (and lets a test change them on the way). The
 * meeting after a match is worker-meeting.ts's, tested there and in e2e/short-code.spec.ts.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../protocol/errors';
import { RtcError } from '../rtc/errors';
import type { NameplateEvent, NameplateSocket } from '../rtc/nameplate-client';
import type { AppConfig } from './config';
import { createIdentity } from './connect';
import {
  joinShortCode,
  startShortCode,
  type ShortCodeDeps,
  type ShortCodeProgress,
} from './short-code-pairing';

const config: AppConfig = { signalingUrl: 'ws://127.0.0.1:1', iceServers: [] };

interface FakeSocket extends NameplateSocket {
  push(event: NameplateEvent): void;
  end(error: RtcError): void;
}

function fakeSocket(onSend: (bytes: Uint8Array) => void): FakeSocket {
  const queue: NameplateEvent[] = [];
  const waiting: { resolve: (e: NameplateEvent) => void; reject: (e: Error) => void }[] = [];
  let ended: RtcError | undefined;
  return {
    push(event) {
      const w = waiting.shift();
      if (w) w.resolve(event);
      else queue.push(event);
    },
    end(error) {
      ended ??= error;
      for (const w of waiting.splice(0)) w.reject(error);
    },
    async next() {
      const queued = queue.shift();
      if (queued) return queued;
      if (ended) throw ended;
      return new Promise<NameplateEvent>((resolve, reject) => waiting.push({ resolve, reject }));
    },
    sendPake: (bytes) => onSend(bytes),
    close() {
      this.end(new RtcError('SIGNAL_INVALID', 'Cancelled.'));
    },
  };
}

/** One nameplate (number 7) between a creator and a joiner; `tamper` may change what passes. */
function nameplate(tamper: (bytes: Uint8Array, from: 'creator' | 'joiner') => Uint8Array = (b) => b) {
  let creator: FakeSocket | undefined;
  let joiner: FakeSocket | undefined;
  let m1: Uint8Array | undefined;
  const sends: string[] = [];
  const deps: ShortCodeDeps = {
    openNameplate: ({ nameplate: n }) => {
      if (n === undefined) {
        creator = fakeSocket((bytes) => {
          sends.push(`creator:${bytes.length}`);
          const passed = tamper(bytes, 'creator');
          if (!m1) {
            m1 = passed;
            joiner?.push({ t: 'pake', bytes: passed });
          } else {
            joiner?.push({ t: 'pake', bytes: passed });
            creator?.end(new RtcError('SIGNAL_INVALID', 'The signaling server closed the code.'));
            joiner?.end(new RtcError('SIGNAL_INVALID', 'The signaling server closed the code.'));
          }
        });
        creator.push({ t: 'nameplate', n: 7, expires: Date.now() + 600_000 });
        return creator;
      }
      joiner = fakeSocket((bytes) => {
        sends.push(`joiner:${bytes.length}`);
        creator?.push({ t: 'pake', bytes: tamper(bytes, 'joiner') });
      });
      creator?.push({ t: 'claimed' });
      if (m1) joiner.push({ t: 'pake', bytes: m1 });
      return joiner;
    },
    // A match goes on to the meeting, which these tests stop at: a room that never answers.
  };
  return { deps, sends };
}

async function sides(tamper?: Parameters<typeof nameplate>[0], typed?: (code: string) => string) {
  const { deps, sends } = nameplate(tamper);
  const progress: ShortCodeProgress[] = [];
  const a = startShortCode(await createIdentity('Alice'), config, (p) => progress.push(p), deps);
  const code = await a.code;
  const b = joinShortCode(typed ? typed(code) : code, await createIdentity('Bob'), config, undefined, deps);
  const settled = await Promise.allSettled([a.connected, b.connected]);
  return {
    code,
    progress,
    sends,
    errors: settled.map((s): unknown => (s.status === 'rejected' ? s.reason : undefined)),
  };
}

describe('short-code pairing', () => {
  it('shows a code of the nameplate and two words, and says the codes did not match on both sides', async () => {
    const { code, progress, sends, errors } = await sides(undefined, (c) => {
      const [n, first, second] = c.split('-');
      return `${n}-${first}-${second === 'adroitness' ? 'adviser' : 'adroitness'}`;
    });
    expect(code).toMatch(/^7-[a-z]+-[a-z]+$/);
    expect(progress).toEqual(['waiting', 'comparing']);
    expect(sends).toEqual(['creator:49', 'joiner:96', 'creator:64']);
    for (const e of errors) {
      expect(ProtocolError.is(e, 'CODES_DID_NOT_MATCH')).toBe(true);
      expect((e as Error).message).toMatch(/^The codes did not match, so no contact was made/);
    }
  });

  it('reports changed messages as possible interception on both sides', async () => {
    const { errors } = await sides((bytes) => {
      const out = bytes.slice();
      if (out.length === 96) out[40]! ^= 1; // the joiner's transcript hash
      return out;
    });
    for (const e of errors) expect(ProtocolError.is(e, 'POSSIBLE_INTERCEPTION')).toBe(true);
  });

  it('refuses a code that cannot be one before going to the worker', () => {
    const { deps } = nameplate();
    expect(() => joinShortCode('seven-aardvark', {} as never, config, undefined, deps)).toThrow(
      /starts with its number/,
    );
    expect(() =>
      joinShortCode(
        '7-aardvark-adroitness',
        {} as never,
        { signalingUrl: '', iceServers: [] },
        undefined,
        deps,
      ),
    ).toThrow(/No signaling server/);
  });

  it('passes on the worker’s sentence when the nameplate closes, and refuses messages out of order', async () => {
    const closing: ShortCodeDeps = {
      openNameplate: () => {
        const s = fakeSocket(() => undefined);
        s.end(
          new RtcError(
            'SIGNAL_INVALID',
            'No code with this number is waiting: check the number, or ask for a new code.',
          ),
        );
        return s;
      },
    };
    const b = joinShortCode('7-aardvark-adroitness', await createIdentity('Bob'), config, undefined, closing);
    await expect(b.connected).rejects.toThrow(/No code with this number is waiting/);

    const outOfOrder: ShortCodeDeps = {
      openNameplate: () => {
        const s = fakeSocket(() => undefined);
        s.push({ t: 'claimed' });
        return s;
      },
    };
    const a = startShortCode(await createIdentity('Alice'), config, undefined, outOfOrder);
    await expect(a.connected).rejects.toThrow(/out of order/);
    await expect(a.code).rejects.toThrow(/out of order/);
  });

  it('cancelling while waiting ends the pairing', async () => {
    const { deps } = nameplate();
    const a = startShortCode(await createIdentity('Alice'), config, undefined, deps);
    await a.code;
    a.cancel();
    await expect(a.connected).rejects.toThrow(/Cancelled/);
  });
});
