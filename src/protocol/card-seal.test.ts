import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../crypto/bytes';
import { CARD_SEAL_OVERHEAD, openCard, sealCard } from './card-seal';

describe('sealed contact cards', () => {
  const card = utf8('a card naming some keys');

  it('opens with the handle it was sealed for, and hides the card from the stored bytes', async () => {
    const sealed = await sealCard('alice.42', card);
    expect(sealed).toHaveLength(card.length + CARD_SEAL_OVERHEAD);
    expect(toHex(sealed)).not.toContain(toHex(card));
    expect(toHex(await openCard('alice.42', sealed))).toBe(toHex(card));
    // Fresh nonce every time.
    expect(toHex(await sealCard('alice.42', card))).not.toBe(toHex(sealed));
  });

  it('refuses another handle’s card, a changed byte and a truncated one, with a sentence', async () => {
    const sealed = await sealCard('alice.42', card);
    await expect(openCard('alice.43', sealed)).rejects.toThrow(/not this username’s/);
    const flipped = sealed.slice();
    flipped[20]! ^= 1;
    await expect(openCard('alice.42', flipped)).rejects.toThrow(/not this username’s/);
    await expect(openCard('alice.42', sealed.slice(0, CARD_SEAL_OVERHEAD))).rejects.toThrow(
      /not this username’s/,
    );
  });

  it('takes only normalized handles', async () => {
    await expect(sealCard('Alice.42', card)).rejects.toThrow(/normalized handle/);
  });
});
