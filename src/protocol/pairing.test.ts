import { describe, expect, it } from 'vitest';
import { randomBytes } from '../crypto/random';
import { ProtocolError } from './errors';
import { deriveUserId } from './user-id';
import {
  createInvite,
  createSignalingCipher,
  inviteFragment,
  inviteLink,
  matchesInviter,
  parseInvite,
  roomIdFor,
} from './pairing';

async function rejectionCode(p: Promise<unknown>): Promise<string | undefined> {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  return ProtocolError.is(e) ? e.code : String(e);
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return ProtocolError.is(e) ? e.code : String(e);
  }
  return undefined;
}

describe('invite links', () => {
  /** Keys as a session presents them: a canonical X25519 key and ML-DSA-87 public key bytes. */
  const keysOf = () => {
    const staticKey = randomBytes(32);
    staticKey[31]! &= 0x7f;
    return { staticKey, signingKey: randomBytes(2592) };
  };

  it('round-trip through a link, a fragment and a bare code, naming the user id of both keys', () => {
    const keys = keysOf();
    const invite = createInvite(deriveUserId(keys.staticKey, keys.signingKey));
    const link = inviteLink('https://secmsg.example/app/#old', invite);
    expect(link.startsWith('https://secmsg.example/app/#join=2.')).toBe(true);
    for (const text of [link, `#${inviteFragment(invite)}`, inviteFragment(invite).slice(5), `  ${link}\n`]) {
      const parsed = parseInvite(text);
      expect(parsed.secret).toEqual(invite.secret);
      expect(parsed.inviterKeyHash).toEqual(invite.inviterKeyHash);
    }
    expect(matchesInviter(invite, keys)).toBe(true);
    // Either key alone differing is another identity.
    expect(matchesInviter(invite, { ...keys, staticKey: keysOf().staticKey })).toBe(false);
    const otherSigning = keys.signingKey.slice();
    otherSigning[0]! ^= 1;
    expect(matchesInviter(invite, { ...keys, signingKey: otherSigning })).toBe(false);
  });

  it('refuses a user id of the wrong length', () => {
    expect(codeOf(() => createInvite(randomBytes(32)))).toBe('BAD_ARGUMENT');
  });

  it('say in a sentence what is wrong with a bad invite', () => {
    const good = inviteFragment(createInvite(randomBytes(16)));
    expect(codeOf(() => parseInvite(good.replace('join=2.', 'join=3.')))).toBe('INVITE_TOO_NEW');
    // Version 1 named the X25519 key alone: refused as old.
    expect(codeOf(() => parseInvite(good.replace('join=2.', 'join=1.')))).toBe('BAD_INVITE');
    expect(codeOf(() => parseInvite(good.slice(0, -3)))).toBe('BAD_INVITE');
    expect(codeOf(() => parseInvite(good.split('.').slice(0, 2).join('.')))).toBe('BAD_INVITE');
    expect(codeOf(() => parseInvite('hello'))).toBe('BAD_INVITE');
    expect(codeOf(() => parseInvite(good.replace(/\.(.)/, '.!')))).toBe('BAD_INVITE');
    expect(codeOf(() => parseInvite('join=0.AAAA.AAAA'))).toBe('BAD_INVITE');
  });
});

describe('signaling encryption', () => {
  it('derives a 43-character room id that does not contain the secret', async () => {
    const secret = randomBytes(16);
    const id = await roomIdFor(secret);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await roomIdFor(secret)).toBe(id);
    expect(await roomIdFor(randomBytes(16))).not.toBe(id);
  });

  it('opens only what the other role sealed in the same room', async () => {
    const secret = randomBytes(16);
    const inviter = await createSignalingCipher(secret, 'inviter');
    const joiner = await createSignalingCipher(secret, 'joiner');
    const message = { type: 'offer', sdp: 'v=0\r\na=fingerprint:sha-256 AA' };
    const blob = await inviter.seal(message);
    expect(blob).not.toContain('v=0');
    expect(await joiner.open(blob)).toEqual(message);
    // Reflected back to its sender: refused.
    expect(await rejectionCode(inviter.open(blob))).toBe('BAD_SIGNAL');
    // Another room (another secret): refused.
    const stranger = await createSignalingCipher(randomBytes(16), 'joiner');
    expect(await rejectionCode(stranger.open(blob))).toBe('BAD_SIGNAL');
    // Tampered or garbage: refused.
    const flipped = (blob[20] === 'A' ? 'B' : 'A') as string;
    expect(await rejectionCode(joiner.open(blob.slice(0, 20) + flipped + blob.slice(21)))).toBe('BAD_SIGNAL');
    expect(await rejectionCode(joiner.open('!!!'))).toBe('BAD_SIGNAL');
    expect(await rejectionCode(joiner.open(''))).toBe('BAD_SIGNAL');
  });
});
