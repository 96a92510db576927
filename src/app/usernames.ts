/**
 * Optional usernames (issue 15, item 3; DESIGN.md, Identity and trust): claiming a handle such as
 * `@alice.42` in the worker's directory, releasing it, and adding someone by theirs. The incoming
 * side (requests, accept, ignore) is contact-requests.ts.
 *
 *   claim:   a request mailbox (claimed at the worker) and an ML-KEM-1024 key for this handle; the
 *            card (contact-card.ts) names them and this device's identity keys, signed with its
 *            ML-DSA key, sealed under the handle (card-seal.ts); PUT under the handle's hash, owned
 *            by SHA-256 of a random release secret.
 *            The claim is kept first (username-types.ts), so a secret the directory holds the hash
 *            of is never lost; a refused claim is forgotten again.
 *   release: DELETE with the release secret; the request mailbox goes with it.
 *   add:     look the handle up, open and check the card (signature, the handle inside), seal a
 *            contact request to it with a fresh pair secret and deposit it in the card's mailbox;
 *            then keep the contact, unverified, with that pair secret as its rendezvous. The
 *            reconnector waits for them in the pair's room as for any known contact, and the
 *            session there must present the card's keys (trust.ts: another key is a key change).
 *
 * A contact found by username is never verified by it: the directory could hand out another
 * person's card under the name; only comparing the safety number shows it is them.
 */
import { constantTimeEqual, toBase64Url } from '../crypto/bytes';
import { mlKem1024KeyPair } from '../crypto/ml-kem';
import { randomBytes } from '../crypto/random';
import { openCard, sealCard } from '../protocol/card-seal';
import { openContactCard, signContactCard } from '../protocol/contact-card';
import { PAIR_SECRET_LENGTH, sealContactRequest } from '../protocol/contact-request';
import { DirectoryError, displayHandle, normalizeHandle } from '../protocol/directory';
import type { PushSubscriptionJson } from '../protocol/mailbox';
import type { DirectoryClient } from '../rtc/directory-client';
import type { Contact } from '../store/contact-types';
import { newContactId } from '../store/records';
import type { Stores } from '../store/stores';
import type { UsernameClaim } from '../store/username-types';
import type { ContactOps } from './contact-ops';
import { type ContactRequests, createContactRequests, pairFromSecret } from './contact-requests';
import type { MailboxClient } from './mailbox-client';
import { UsernameError } from './username-errors';

export type { IncomingRequest } from './contact-requests';

export const REQUEST_SENT_DETAIL = (handle: string): string =>
  `Contact request sent to the username ${displayHandle(handle)}; you meet once they accept. Not verified: the directory found these keys, and nobody has compared them yet. Compare safety numbers to verify.`;

/**
 * The card is published again when it is this old (on the next read of requests), so the claim
 * never reaches the directory's CLAIM_TTL_MS while the app is in use.
 */
export const CARD_REFRESH_MS = 7 * 24 * 60 * 60_000;

export interface UsernamesDeps {
  readonly ops: Pick<ContactOps, 'put' | 'log' | 'identity' | 'serial'>;
  readonly stores: Pick<Stores, 'usernames' | 'contacts'>;
  readonly directory: () => Promise<DirectoryClient>;
  readonly mailbox: () => Promise<MailboxClient>;
  readonly now: () => number;
  /** This browser's push subscription, when the person turned wake-ups on: requests wake it too. */
  readonly pushSubscription?: () => PushSubscriptionJson | undefined;
}

export interface Usernames extends ContactRequests {
  /** This device's handle (normalized, without `@`), if it claimed one. */
  mine(): Promise<string | undefined>;
  /** A number part for a new handle (two digits, 10 to 99), so that common names stay free. */
  suggestNumber(): string;
  /**
   * Claims the handle in `text` (`@alice.42` or `alice.42`), or publishes this device's current
   * card again under the handle it has. Returns the normalized handle. Throws `DirectoryError`
   * (BAD_HANDLE, TAKEN, RATE_LIMITED…) or `UsernameError('HAVE_USERNAME')`.
   */
  claim(text: string): Promise<string>;
  /** Publishes this device's card again under its handle (after its keys were replaced). */
  republish(): Promise<void>;
  /** Lets a request wake this browser (a Web Push), or, undefined, no longer. */
  setWakeUps(subscription: PushSubscriptionJson | undefined): Promise<void>;
  /** Releases this device's handle; anyone may claim it afterwards. */
  release(): Promise<void>;
  /** Looks up `text`, sends a contact request to its card, keeps the contact (unverified). */
  add(text: string): Promise<Contact>;
}

export function createUsernames(deps: UsernamesDeps): Usernames {
  const { ops, stores, now } = deps;
  const requests = createContactRequests({
    ops,
    byKey: async (key) => stores.contacts.byKey(key),
    claim: async () => stores.usernames.get(),
    mailbox: deps.mailbox,
    now,
  });

  /** Signs this device's card for `claim` and puts it in the directory. */
  const publish = async (claim: UsernameClaim): Promise<void> => {
    const identity = ops.identity;
    const card = await signContactCard(
      {
        handle: claim.handle,
        identityKey: identity.keyPair.publicKey,
        signingKey: identity.signing.publicKey,
        kemKey: mlKem1024KeyPair(claim.kemSeed).publicKey,
        mailboxId: claim.mailbox.id,
        created: now(),
      },
      identity.signing.privateKey,
    );
    // Sealed under the handle (card-seal.ts): the directory holds bytes it reads only by guessing it.
    const sealed = await sealCard(claim.handle, card);
    await (await deps.directory()).claim(claim.handle, sealed, claim.releaseSecret);
    await stores.usernames.put({ ...claim, claimedAt: now() });
  };

  /** Forgets the claim and drops its request mailbox (requests still in it go with it). */
  const forget = async (claim: UsernameClaim): Promise<void> => {
    await stores.usernames.remove();
    await (await deps.mailbox()).drop(claim.mailbox).catch(() => undefined); // else it expires
  };

  /** Publishes a kept claim again; one that expired and went to someone else is forgotten. */
  const refresh = async (claim: UsernameClaim): Promise<void> => {
    try {
      await publish(claim);
    } catch (e) {
      if (!DirectoryError.is(e, 'TAKEN')) throw e;
      await forget(claim);
      throw new UsernameError(
        'USERNAME_LOST',
        `Your username ${displayHandle(claim.handle)} expired and someone else has it now; this device no longer has a username.`,
        { cause: e },
      );
    }
  };

  return {
    ...requests,

    async read() {
      const claim = await stores.usernames.get();
      // Kept alive while the app is used; a failure waits for the next read.
      if (claim && now() - claim.claimedAt > CARD_REFRESH_MS) await refresh(claim).catch(() => undefined);
      return requests.read();
    },

    async mine() {
      return (await stores.usernames.get())?.handle;
    },

    suggestNumber: () => String(10 + (randomBytes(1)[0]! % 90)),

    async claim(text) {
      const handle = normalizeHandle(text);
      const kept = await stores.usernames.get();
      if (kept && kept.handle !== handle) {
        throw new UsernameError(
          'HAVE_USERNAME',
          `This device has the username ${displayHandle(kept.handle)} already. Release it first to take another.`,
        );
      }
      if (kept) {
        await refresh(kept);
        return handle;
      }
      const claim: UsernameClaim = {
        handle,
        releaseSecret: randomBytes(32),
        mailbox: { id: toBase64Url(randomBytes(32)), token: toBase64Url(randomBytes(32)) },
        kemSeed: randomBytes(64),
        claimedAt: now(),
      };
      await stores.usernames.put(claim);
      try {
        const mailbox = await deps.mailbox();
        await mailbox.claim(claim.mailbox);
        const subscription = deps.pushSubscription?.();
        // Without a wake-up, requests are read when the app opens: not worth failing the claim for.
        if (subscription) await mailbox.setPush(claim.mailbox, subscription).catch(() => undefined);
        try {
          await publish(claim);
        } catch (e) {
          await mailbox.drop(claim.mailbox).catch(() => undefined);
          throw e;
        }
      } catch (e) {
        await stores.usernames.remove();
        throw e;
      }
      return handle;
    },

    async setWakeUps(subscription) {
      const claim = await stores.usernames.get();
      if (!claim) return;
      const mailbox = await deps.mailbox();
      if (subscription) await mailbox.setPush(claim.mailbox, subscription);
      else await mailbox.clearPush(claim.mailbox).catch(() => undefined);
    },

    async republish() {
      const claim = await stores.usernames.get();
      if (claim) await refresh(claim);
    },

    async release() {
      const claim = await stores.usernames.get();
      if (!claim) throw new UsernameError('NO_USERNAME', 'This device has no username to release.');
      try {
        await (await deps.directory()).release(claim.handle, claim.releaseSecret);
      } catch (e) {
        // Expired or released already: nothing left to release.
        if (!DirectoryError.is(e, 'NOT_FOUND')) throw e;
      }
      await forget(claim);
    },

    async add(text) {
      const handle = normalizeHandle(text);
      if ((await stores.usernames.get())?.handle === handle) {
        throw new UsernameError('OWN_USERNAME', 'This is your own username.');
      }
      const sealed = await (await deps.directory()).lookup(handle);
      const card = await openContactCard(await openCard(handle, sealed), handle, now());
      const identity = ops.identity;
      if (constantTimeEqual(card.identityKey, identity.keyPair.publicKey)) {
        throw new UsernameError('OWN_USERNAME', 'This username belongs to this device’s own keys.');
      }
      const known = await stores.contacts.byKey(card.identityKey);
      if (known) {
        if (known.signingKey && !constantTimeEqual(known.signingKey, card.signingKey)) {
          throw new UsernameError(
            'KEY_MISMATCH',
            'This username’s card names the identity key of one of your contacts with another post-quantum key. It was not used.',
          );
        }
        throw new UsernameError(
          'ALREADY_CONTACT',
          `${displayHandle(handle)} is one of your contacts already.`,
        );
      }
      const pairSecret = randomBytes(PAIR_SECRET_LENGTH);
      const at = now();
      const blob = await sealContactRequest(
        {
          identityKey: identity.keyPair.publicKey,
          signingKey: identity.signing.publicKey,
          pairSecret,
          at,
          displayName: identity.displayName,
        },
        identity.signing.privateKey,
        card,
      );
      // Deposited first: a request that never left stores no contact that would wait forever.
      await (await deps.mailbox()).deposit(card.mailboxId, blob);
      const contact: Contact = {
        id: newContactId(),
        identityKey: card.identityKey,
        signingKey: card.signingKey,
        // Derived from the card's keys (contact-card.ts), never taken from what anyone says.
        userId: card.userId,
        // Until they connect and announce a name, the handle is what the list shows.
        announcedName: displayHandle(handle),
        verified: false,
        firstSeen: at,
        lastSeen: at,
        rendezvous: await pairFromSecret(pairSecret, identity.keyPair.publicKey, card.identityKey),
      };
      await ops.serial(contact.id, async () => {
        await ops.put(contact);
        await ops.log(contact.id, 'paired', REQUEST_SENT_DETAIL(handle));
      });
      return contact;
    },
  };
}
