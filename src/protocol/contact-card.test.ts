import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../crypto/bytes';
import { mlKem1024KeyPair } from '../crypto/ml-kem';
import { generateSigningKeyPair } from '../crypto/ml-dsa-keygen';
import { randomBytes } from '../crypto/random';
import {
  MAX_CONTACT_CARD_BYTES,
  openContactCard,
  signContactCard,
  type ContactCardBody,
} from './contact-card';
import { MAX_CARD_BYTES } from './directory';
import { ProtocolError } from './errors';
import { generateDhKeyPair } from './noise';
import { deriveUserId } from './user-id';

const NOW = Date.UTC(2026, 11, 7, 12);

async function owner() {
  const dh = await generateDhKeyPair();
  const signing = await generateSigningKeyPair();
  const body: ContactCardBody = {
    handle: 'alice.42',
    identityKey: dh.publicKey,
    signingKey: signing.publicKey,
    kemKey: mlKem1024KeyPair().publicKey,
    mailboxId: toBase64Url(randomBytes(32)),
    created: NOW - 1000,
  };
  return { body, signing, bytes: await signContactCard(body, signing.privateKey) };
}

describe('contact cards', () => {
  it('round-trips, fits the directory and derives the owner’s user id from its keys', async () => {
    const { body, bytes } = await owner();
    expect(bytes.length).toBeLessThanOrEqual(MAX_CONTACT_CARD_BYTES);
    expect(MAX_CONTACT_CARD_BYTES).toBeLessThanOrEqual(MAX_CARD_BYTES);
    const card = await openContactCard(bytes, 'alice.42', NOW);
    expect(card.handle).toBe('alice.42');
    expect(card.identityKey).toEqual(body.identityKey);
    expect(card.signingKey).toEqual(body.signingKey);
    expect(card.kemKey).toEqual(body.kemKey);
    expect(card.mailboxId).toBe(body.mailboxId);
    expect(card.created).toBe(body.created);
    expect(card.userId).toEqual(deriveUserId(body.identityKey, body.signingKey));
  });

  it('refuses a card that answers another handle’s lookup', async () => {
    const { bytes } = await owner();
    await expect(openContactCard(bytes, 'alice.43', NOW)).rejects.toThrow(/card of another username/);
  });

  it('refuses any flipped byte: the signature covers every field, the checks the rest', async () => {
    const { bytes } = await owner();
    // The version, the handle, each key, the mailbox id, the time and the signature.
    for (const at of [0, 1, 3, 12, 40, 2000, 4000, 6000, 6300, 6330, 6340, bytes.length - 1]) {
      const changed = Uint8Array.from(bytes);
      changed[at]! ^= 0x01;
      await expect(openContactCard(changed, 'alice.42', NOW), `byte ${at}`).rejects.toThrow(ProtocolError);
    }
  });

  it('refuses a card signed by another key than the one it names', async () => {
    const { body } = await owner();
    const other = await generateSigningKeyPair();
    const forged = await signContactCard(body, other.privateKey);
    await expect(openContactCard(forged, 'alice.42', NOW)).rejects.toThrow(/not signed by the keys it names/);
  });

  it('refuses wrong lengths and a time far ahead of the clock', async () => {
    const { bytes, body, signing } = await owner();
    await expect(openContactCard(bytes.subarray(0, bytes.length - 1), 'alice.42', NOW)).rejects.toThrow(
      /wrong length/,
    );
    await expect(openContactCard(new Uint8Array(0), 'alice.42', NOW)).rejects.toThrow(ProtocolError);
    const future = await signContactCard({ ...body, created: NOW + 2 * 86_400_000 }, signing.privateKey);
    await expect(openContactCard(future, 'alice.42', NOW)).rejects.toThrow(/impossible time/);
  });

  it('signs only well-formed cards', async () => {
    const { body, signing } = await owner();
    await expect(signContactCard({ ...body, handle: 'Alice.42' }, signing.privateKey)).rejects.toThrow(
      ProtocolError,
    );
    await expect(signContactCard({ ...body, mailboxId: 'short' }, signing.privateKey)).rejects.toThrow(
      ProtocolError,
    );
    await expect(
      signContactCard({ ...body, kemKey: new Uint8Array(1568).fill(0xff) }, signing.privateKey),
    ).rejects.toThrow(ProtocolError);
  });
});
