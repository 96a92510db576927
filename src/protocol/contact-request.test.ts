import { describe, expect, it } from 'vitest';
import { mlKem1024KeyPair } from '../crypto/ml-kem';
import { generateSigningKeyPair } from '../crypto/ml-dsa-keygen';
import { randomBytes } from '../crypto/random';
import {
  type CardBinding,
  type ContactRequestBody,
  MAX_CONTACT_REQUEST_BYTES,
  openContactRequest,
  sealContactRequest,
} from './contact-request';
import { ProtocolError } from './errors';
import { MAX_MAILBOX_BLOB_BYTES } from './mailbox';
import { generateDhKeyPair } from './noise';
import { deriveUserId } from './user-id';

const NOW = Date.UTC(2026, 11, 7, 12);

async function setting() {
  const ownerDh = await generateDhKeyPair();
  const ownerSigning = await generateSigningKeyPair();
  const kem = mlKem1024KeyPair();
  const card: CardBinding = {
    handle: 'bob.07',
    identityKey: ownerDh.publicKey,
    signingKey: ownerSigning.publicKey,
    kemKey: kem.publicKey,
  };
  const keys = { identityPrivateKey: ownerDh.privateKey, kemSecretKey: kem.secretKey };
  const requesterDh = await generateDhKeyPair();
  const requesterSigning = await generateSigningKeyPair();
  const body: ContactRequestBody = {
    identityKey: requesterDh.publicKey,
    signingKey: requesterSigning.publicKey,
    pairSecret: randomBytes(32),
    at: NOW - 5000,
    displayName: 'Alice 🌻',
  };
  const blob = await sealContactRequest(body, requesterSigning.privateKey, card);
  return { card, keys, body, requesterSigning, blob };
}

describe('contact requests', () => {
  it('opens for the card’s owner, the requester’s user id recomputed from its keys', async () => {
    const { card, keys, body, blob } = await setting();
    expect(blob.length).toBeLessThanOrEqual(MAX_CONTACT_REQUEST_BYTES);
    expect(MAX_CONTACT_REQUEST_BYTES).toBeLessThanOrEqual(MAX_MAILBOX_BLOB_BYTES);
    const opened = await openContactRequest(blob, keys, card, NOW);
    expect(opened.identityKey).toEqual(body.identityKey);
    expect(opened.signingKey).toEqual(body.signingKey);
    expect(opened.pairSecret).toEqual(body.pairSecret);
    expect(opened.at).toBe(body.at);
    expect(opened.displayName).toBe('Alice 🌻');
    expect(opened.userId).toEqual(deriveUserId(body.identityKey, body.signingKey));
  });

  it('is sealed: the pair secret and the name do not appear in the blob', async () => {
    const { body, blob } = await setting();
    const hex = Buffer.from(blob).toString('hex');
    expect(hex).not.toContain(Buffer.from(body.pairSecret).toString('hex'));
    expect(hex).not.toContain(Buffer.from(body.signingKey.subarray(0, 32)).toString('hex'));
  });

  it('refuses any flipped byte (header, KEM ciphertext, ciphertext, tag)', async () => {
    const { card, keys, blob } = await setting();
    for (const at of [0, 1, 20, 33, 800, 1600, 1700, 5000, blob.length - 1]) {
      const changed = Uint8Array.from(blob);
      changed[at]! ^= 0x01;
      await expect(openContactRequest(changed, keys, card, NOW), `byte ${at}`).rejects.toThrow(ProtocolError);
    }
  });

  it('does not open for other keys, or for another card of the same owner', async () => {
    const { card, keys, blob } = await setting();
    const otherKem = mlKem1024KeyPair();
    await expect(
      openContactRequest(blob, { ...keys, kemSecretKey: otherKem.secretKey }, card, NOW),
    ).rejects.toSatisfy((e) => ProtocolError.is(e, 'DECRYPT_FAILED'));
    const otherDh = await generateDhKeyPair();
    await expect(
      openContactRequest(blob, { ...keys, identityPrivateKey: otherDh.privateKey }, card, NOW),
    ).rejects.toSatisfy((e) => ProtocolError.is(e, 'DECRYPT_FAILED'));
    await expect(openContactRequest(blob, keys, { ...card, handle: 'bob.08' }, NOW)).rejects.toSatisfy((e) =>
      ProtocolError.is(e, 'DECRYPT_FAILED'),
    );
  });

  it('refuses a request whose signature is not by the keys it names', async () => {
    const { card, keys, body } = await setting();
    const mallory = await generateSigningKeyPair();
    // Mallory signs with its own key while naming Alice's: sealed correctly, refused on the signature.
    const forged = await sealContactRequest(body, mallory.privateKey, card);
    await expect(openContactRequest(forged, keys, card, NOW)).rejects.toThrow(
      /not signed by the keys it names/,
    );
  });

  it('refuses requests too old or from the future, and malformed bodies before sealing', async () => {
    const { card, keys, body, requesterSigning } = await setting();
    const old = await sealContactRequest(
      { ...body, at: NOW - 20 * 86_400_000 },
      requesterSigning.privateKey,
      card,
    );
    await expect(openContactRequest(old, keys, card, NOW)).rejects.toThrow(/too old/);
    const future = await sealContactRequest(
      { ...body, at: NOW + 2 * 86_400_000 },
      requesterSigning.privateKey,
      card,
    );
    await expect(openContactRequest(future, keys, card, NOW)).rejects.toThrow(/future/);
    await expect(
      sealContactRequest({ ...body, pairSecret: new Uint8Array(16) }, requesterSigning.privateKey, card),
    ).rejects.toThrow(ProtocolError);
    await expect(
      sealContactRequest({ ...body, displayName: 'x'.repeat(65) }, requesterSigning.privateKey, card),
    ).rejects.toThrow(ProtocolError);
    await expect(openContactRequest(new Uint8Array(10), keys, card, NOW)).rejects.toThrow(/too short/);
  });
});
