/**
 * The worker's mailboxes in memory, behind the app's MailboxClient interface, for use-case tests:
 * the same rules as the Durable Object (claim once per token, quotas, deposit order, a wrong token
 * reads nothing) without HTTP. The real Durable Object is tested inside workerd
 * (signaling-worker/test/mailbox.test.ts) and end to end in e2e/offline-delivery.spec.ts.
 */
import {
  MAX_BATCH_BLOBS,
  MAX_DEPOSIT_BATCH_BYTES,
  MAX_FETCH_BYTES,
  MAX_MAILBOX_BLOBS,
  MAX_MAILBOX_BLOB_BYTES,
  MAX_MAILBOX_BYTES,
  MailboxError,
  type PushSubscriptionJson,
  mailboxErrorMessage,
} from '../protocol/mailbox';
import { type ListResult } from '../protocol/mailbox-json';
import { type FetchedBlob, encodeId16 } from '../protocol/mailbox-binary';
import { type MailboxAccess, type MailboxClient, MailboxUnreachableError } from './mailbox-client';

interface Box {
  token: string;
  blobs: FetchedBlob[];
}

export class FakeMailboxWorker implements MailboxClient {
  readonly boxes = new Map<string, Box>();
  /** False: every request fails as if the worker could not be reached. */
  reachable = true;
  requests = 0;
  /** Called before each request; throwing from it fails that request. */
  beforeRequest: (kind: string) => void = () => undefined;

  #enter(kind: string): void {
    this.requests++;
    if (!this.reachable) throw new MailboxUnreachableError();
    this.beforeRequest(kind);
  }

  #owned(box: MailboxAccess): Box {
    const found = this.boxes.get(box.id);
    if (!found) throw new MailboxError('NO_MAILBOX');
    if (found.token !== box.token) throw new MailboxError('WRONG_TOKEN');
    return found;
  }

  /** Every blob held, for checks on what the worker could see. */
  allBlobs(): Uint8Array[] {
    return [...this.boxes.values()].flatMap((b) => b.blobs.map((x) => x.data));
  }

  async claim(box: MailboxAccess): Promise<void> {
    await Promise.resolve();
    this.#enter('claim');
    const found = this.boxes.get(box.id);
    if (found && found.token !== box.token) throw new MailboxError('ALREADY_CLAIMED');
    if (!found) this.boxes.set(box.id, { token: box.token, blobs: [] });
  }

  async deposit(id: string, blob: Uint8Array): Promise<void> {
    await Promise.resolve();
    this.#enter('deposit');
    const box = this.boxes.get(id);
    if (!box) throw new MailboxError('NO_MAILBOX');
    if (blob.length === 0 || blob.length > MAX_MAILBOX_BLOB_BYTES) throw new MailboxError('TOO_LARGE');
    const bytes = box.blobs.reduce((n, b) => n + b.data.length, 0);
    if (box.blobs.length >= MAX_MAILBOX_BLOBS || bytes + blob.length > MAX_MAILBOX_BYTES) {
      throw new MailboxError('MAILBOX_FULL');
    }
    box.blobs.push({
      id: encodeId16(crypto.getRandomValues(new Uint8Array(16))),
      at: Date.now(),
      data: blob.slice(),
    });
  }

  async depositMany(id: string, blobs: readonly Uint8Array[]): Promise<void> {
    await Promise.resolve();
    this.#enter('depositMany');
    const box = this.boxes.get(id);
    if (!box) throw new MailboxError('NO_MAILBOX');
    if (blobs.length === 0 || blobs.length > MAX_BATCH_BLOBS) throw new MailboxError('BAD_REQUEST');
    const total = blobs.reduce((n, b) => n + b.length, 0);
    if (
      blobs.some((b) => b.length === 0 || b.length > MAX_MAILBOX_BLOB_BYTES) ||
      total > MAX_DEPOSIT_BATCH_BYTES
    ) {
      throw new MailboxError('TOO_LARGE');
    }
    const bytes = box.blobs.reduce((n, b) => n + b.data.length, 0);
    if (box.blobs.length + blobs.length > MAX_MAILBOX_BLOBS || bytes + total > MAX_MAILBOX_BYTES) {
      throw new MailboxError('MAILBOX_FULL');
    }
    for (const blob of blobs) {
      box.blobs.push({
        id: encodeId16(crypto.getRandomValues(new Uint8Array(16))),
        at: Date.now(),
        data: blob.slice(),
      });
    }
  }

  async list(boxes: readonly MailboxAccess[]): Promise<ListResult[]> {
    await Promise.resolve();
    this.#enter('list');
    return boxes.map((b): ListResult => {
      try {
        const box = this.#owned(b);
        return { id: b.id, blobs: box.blobs.map((x) => ({ id: x.id, size: x.data.length, at: x.at })) };
      } catch (e) {
        const code = (e as MailboxError).code;
        return { id: b.id, error: { code, message: mailboxErrorMessage(code) } };
      }
    });
  }

  async fetch(box: MailboxAccess, ids: readonly string[]): Promise<FetchedBlob[]> {
    await Promise.resolve();
    this.#enter('fetch');
    const wanted = new Set(ids);
    const out: FetchedBlob[] = [];
    let bytes = 0;
    for (const b of this.#owned(box).blobs) {
      if (!wanted.has(b.id)) continue;
      if (out.length > 0 && bytes + b.data.length > MAX_FETCH_BYTES) break;
      bytes += b.data.length;
      out.push({ ...b, data: b.data.slice() });
    }
    return out;
  }

  async remove(box: MailboxAccess, ids: readonly string[]): Promise<void> {
    await Promise.resolve();
    this.#enter('remove');
    const found = this.#owned(box);
    found.blobs = found.blobs.filter((b) => !ids.includes(b.id));
  }

  /** Push subscriptions by mailbox id. */
  readonly pushes = new Map<string, PushSubscriptionJson>();

  async setPush(box: MailboxAccess, subscription: PushSubscriptionJson): Promise<void> {
    await Promise.resolve();
    this.#enter('setPush');
    this.#owned(box);
    this.pushes.set(box.id, subscription);
  }

  async clearPush(box: MailboxAccess): Promise<void> {
    await Promise.resolve();
    this.#enter('clearPush');
    this.#owned(box);
    this.pushes.delete(box.id);
  }

  async pushKey(): Promise<string> {
    await Promise.resolve();
    this.#enter('pushKey');
    return `B${'A'.repeat(86)}`;
  }

  async drop(box: MailboxAccess): Promise<void> {
    await Promise.resolve();
    this.#enter('drop');
    this.#owned(box);
    this.boxes.delete(box.id);
    this.pushes.delete(box.id);
  }
}
