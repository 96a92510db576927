/**
 * Reading the inbound mailboxes (DESIGN.md, Routes and delivery, item 4): the receiving side of
 * offline-delivery.ts, which keeps the mailbox addresses and does the sending.
 *
 * `fetchAll` lists every inbound mailbox in as few requests as the worker allows, reads each
 * mailbox's blobs in deposit order through the ratchet (gaps and reordering are the ratchet's),
 * stores each message with the ratchet state in one transaction, deletes what was stored (or can
 * never be read) from the mailbox, and acknowledges the texts: live when a session is open, else
 * through the contact's mailbox. A message that also came live shows once (stored by id). A
 * replaced mailbox found empty is dropped a day after it was replaced; one the worker no longer
 * has is forgotten. Every ratchet step for a contact runs in the messenger's per-contact chain.
 */
import { ProtocolError } from '../protocol/errors';
import { type FetchedBlob } from '../protocol/mailbox-binary';
import type { AppRecord } from '../protocol/records';
import type { OwnMailbox } from '../store/contact-types';
import type { ReceiveEffects } from './conversation';
import { DEFAULT_FEATURE_SETTINGS, receivedEffects, refusalDetail } from './record-effects';
import type { MailboxAccess } from './mailbox-client';
import type { FetchReport, OfflineDeps } from './offline-delivery';

/** A replaced mailbox found empty is dropped once it has been replaced for this long. */
export const RETIRED_DROP_AFTER_MS = 24 * 60 * 60_000;

export interface MailboxReadDeps extends Pick<
  OfflineDeps,
  'stores' | 'now' | 'client' | 'conversations' | 'serial' | 'log' | 'changed' | 'rotation' | 'settings'
> {
  /** Acknowledges texts read from a mailbox: live when a session is open, else by mailbox. */
  readonly acknowledge: (contactId: string, ids: readonly Uint8Array[]) => Promise<void>;
  /** Keeps the address of the contact's mailbox, announced in a `mailbox` record. */
  readonly keepPeerAddress: (contactId: string, id: Uint8Array) => Promise<void>;
  /** Forgets an inbound mailbox the worker no longer has (expired, or dropped). */
  readonly dropOwn: (contactId: string, id: string) => Promise<void>;
}

export interface MailboxReader {
  /** Reads every inbound mailbox; calls made while one runs share it, and one more follows. */
  fetchAll(): Promise<FetchReport>;
}

/** What the worker needs to know of an inbound mailbox to let this side at it. */
export const access = (m: OwnMailbox): MailboxAccess => ({ id: m.id, token: m.token });

export function createMailboxReader(deps: MailboxReadDeps): MailboxReader {
  const { stores, now, client, serial, log, changed, acknowledge, keepPeerAddress, dropOwn } = deps;

  /**
   * Reads one mailbox's blobs in the contact's chain, all in one transaction (texts, acks and
   * announcements; a key rotation commits what came before it, then goes to the rotation use case);
   * returns the ids done with (read or unreadable).
   */
  const readBlobs = async (
    contactId: string,
    blobs: readonly FetchedBlob[],
  ): Promise<{ done: string[]; read: number; refused: number }> => {
    const conversations = await deps.conversations();
    let batch = await conversations.openBatch(contactId);
    const done: string[] = [];
    const acks: Uint8Array[] = [];
    const refusals: string[] = [];
    const refusedChanges: string[] = [];
    let announced: Uint8Array | undefined;
    let read = 0;
    let anyChange = false;
    const commit = async (last?: ReceiveEffects): Promise<void> => {
      const result = await batch.commit(last);
      if (result && (result.newMessages > 0 || result.updated.length > 0 || result.appliedChanges > 0)) {
        anyChange = true;
      }
      for (const c of result?.refused ?? []) refusedChanges.push(refusalDetail(c));
    };
    for (const blob of blobs) {
      let r: AppRecord;
      try {
        r = await batch.open(blob.data);
      } catch (e) {
        if (!ProtocolError.is(e)) throw e;
        // Read before (a fetch cut short before its delete) or never readable: either way it goes.
        done.push(blob.id);
        if (e.code !== 'RATCHET_DUPLICATE') refusals.push(e.message);
        continue;
      }
      const got = receivedEffects(
        contactId,
        r,
        'mailbox',
        now(),
        deps.settings?.() ?? DEFAULT_FEATURE_SETTINGS,
      );
      if (got) {
        // Texts, replies, acks and changes (a typing record, never deposited by us, changes nothing).
        batch.add(got.effects);
        if (got.ack) acks.push(got.ack);
      } else if (r.kind === 'mailbox') {
        announced = r.id;
      } else {
        await commit(); // what came before it, so that the rotation commits only its own
        await deps.rotation(contactId, batch.last(r));
        // The rotation may have changed what this contact's ratchet is: read it again.
        batch = await conversations.openBatch(contactId);
      }
      read++;
      done.push(blob.id);
    }
    await commit();
    for (const message of refusals) {
      await log(contactId, 'mailbox-refused', `${message} It was deleted from the mailbox.`);
    }
    for (const detail of refusedChanges) await log(contactId, 'ratchet-refused', detail);
    if (announced) await keepPeerAddress(contactId, announced);
    // One change for the whole mailbox: the open chat reloads once, not once per message.
    if (anyChange) changed(contactId);
    if (acks.length > 0) await acknowledge(contactId, acks);
    return { done, read, refused: refusals.length };
  };

  /** One pass over every inbound mailbox. */
  const fetchOnce = async (): Promise<FetchReport> => {
    const boxes: { contactId: string; box: OwnMailbox }[] = [];
    for (const c of await stores.contacts.list()) {
      if (c.pendingKey) continue; // read once the user decided about the new key
      for (const box of c.mailboxes?.own ?? []) {
        if (box.claimedAt !== undefined) boxes.push({ contactId: c.id, box });
      }
    }
    let read = 0;
    let refused = 0;
    if (boxes.length === 0) return { read, refused, mailboxes: 0 };
    // The ratchet's code loads while the worker answers: a mailbox with messages needs it next.
    deps.conversations().catch(() => undefined);
    const listed = await client.list(boxes.map((b) => access(b.box)));
    for (const [i, result] of listed.entries()) {
      const { contactId, box } = boxes[i]!;
      if ('error' in result) {
        if (result.error.code === 'NO_MAILBOX')
          await serial(contactId, async () => dropOwn(contactId, box.id));
        continue;
      }
      if (result.blobs.length === 0) {
        if (box.retiredAt !== undefined && now() - box.retiredAt >= RETIRED_DROP_AFTER_MS) {
          await client.drop(access(box)).catch(() => undefined);
          await serial(contactId, async () => dropOwn(contactId, box.id));
        }
        continue;
      }
      const fetched = await client.fetch(
        access(box),
        result.blobs.map((b) => b.id),
      );
      const outcome = await serial(contactId, async () => readBlobs(contactId, fetched));
      read += outcome.read;
      refused += outcome.refused;
      if (outcome.done.length > 0) await client.remove(access(box), outcome.done);
    }
    return { read, refused, mailboxes: boxes.length };
  };

  let running: Promise<FetchReport> | undefined;
  let again = false;

  return {
    async fetchAll() {
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        try {
          let report = await fetchOnce();
          while (again) {
            again = false;
            const next = await fetchOnce();
            report = {
              read: report.read + next.read,
              refused: report.refused + next.refused,
              mailboxes: next.mailboxes,
            };
          }
          return report;
        } finally {
          running = undefined;
        }
      })();
      return running;
    },
  };
}
