import { describe, expect, it } from 'vitest';
import * as names from '../../app/names';
import { randomBytes } from '../../crypto/random';
import { deriveUserId } from '../../protocol/user-id';
import type { Contact } from '../../store/contact-types';
import { contactViews, tellApartTag } from './contact-views';

function contact(announcedName: string, extra: Partial<Contact> = {}): Contact {
  const identityKey = randomBytes(32);
  identityKey[31]! &= 0x7f;
  return {
    id: `id-${announcedName}-${Math.random()}`,
    identityKey,
    userId: deriveUserId(identityKey),
    announcedName,
    verified: false,
    firstSeen: 1,
    lastSeen: 1,
    ...extra,
  };
}

const offline = () => ({ connected: false, reach: { state: 'waiting' as const } });

describe('contactViews', () => {
  it('shows an announced name as the contact’s own suggestion until the user keeps or sets one', () => {
    const [announced, named] = contactViews(
      [contact('Bob'), contact('Robert', { localName: 'Bob from work' })],
      names,
      offline,
    );
    expect(announced).toMatchObject({
      name: 'Bob',
      nameIsAnnounced: true,
      announcedName: 'Bob',
      nameWarnings: [],
    });
    expect(named).toMatchObject({ name: 'Bob from work', nameIsAnnounced: false, announcedName: 'Robert' });
  });

  it('makes invisible and direction characters of an announced name visible, with a sentence each', () => {
    const [v] = contactViews([contact('Bob\u200f\u202e')], names, offline);
    expect(v!.name).toBe('Bob⟨U+200F⟩⟨U+202E⟩');
    expect(v!.nameWarnings.join(' ')).toMatch(/text direction/);
  });

  it('tells apart two contacts whose shown names are confusable, and says a newer one looks like the known one', () => {
    const alice = contact('Alice', { firstSeen: 1, localName: 'Alice' });
    const fake = contact('\u0410lice', { firstSeen: 5 }); // Cyrillic А
    const views = contactViews([alice, fake], names, offline);
    const [a, f] = views;
    expect(a!.tellApart).toBe(tellApartTag(alice.userId));
    expect(f!.tellApart).toBe(tellApartTag(fake.userId));
    expect(a!.tellApart).not.toBe(f!.tellApart);
    expect(f!.looksLike).toBe('Alice');
    expect(a!.looksLike).toBeUndefined();
    expect(f!.nameWarnings.join(' ')).toMatch(/mixes/);
  });

  it('shows no tag where names differ', () => {
    const views = contactViews([contact('Alice'), contact('Bob')], names, offline);
    expect(views.map((v) => v.tellApart)).toEqual([undefined, undefined]);
  });
});
