import { Match, Show, Switch, createEffect, createMemo, createSignal, on, onCleanup } from 'solid-js';
import { offerWaitsFor } from '../../app/capabilities';
import { objectUrl, saveFile } from '../../app/save-file';
import { type StoredFile, rangeTotal } from '../../store/file-types';
import type { StoredMessage } from '../../store/message-types';
import { useApp } from '../app-context';
import { errorText } from '../errors';
import * as text from '../strings/files';

/** The bytes of a transfer that the receiver holds (the last chunk may be short). */
export function bytesDone(file: Pick<StoredFile, 'size' | 'chunkSize' | 'have'>): number {
  return Math.min(file.size, rangeTotal(file.have) * file.chunkSize);
}

/**
 * Whether the whole file can be read on this device now: received in full, carried inside its
 * offer, or mine and still being sent (the sender keeps its copy until it is cancelled).
 */
function wholeHere(message: StoredMessage, file: StoredFile): boolean {
  if (file.state === 'cancelled' || file.state === 'failed') return false;
  if (file.state === 'done' || file.inline !== undefined) return true;
  return message.direction === 'out' && file.state !== 'preparing';
}

/**
 * A file, photo, video or voice note in a message bubble, either way (issue 14): the preview (the
 * thumbnail sent with the offer until the whole file is here, then the file itself), and the
 * transfer in short words and buttons: waiting to be accepted, Accept / Decline with the size and
 * the free space, progress with Cancel, Sent or Save, cancelled, failed. Progress comes from the
 * file part as the chat keeps it current (stores/chat-history.ts patches it on the messenger's
 * 'file' event). Object URLs of previews are released when the bubble goes or the file changes.
 */
export function FileMessage(props: { message: StoredMessage; file: StoredFile; contactName: string }) {
  const app = useApp();
  const messenger = app.messenger()!;
  const m = () => props.message;
  const f = () => props.file;
  const name = () => f().name;
  const mine = () => m().direction === 'out';

  // The thumbnail never changes for a message: one URL for the bubble's life.
  let thumbnail: ReturnType<typeof objectUrl> | undefined;
  const thumbUrl = createMemo<string | undefined>((prev) => {
    if (prev !== undefined) return prev;
    const bytes = f().thumbnail;
    if (!bytes) return undefined;
    thumbnail = objectUrl(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }));
    return thumbnail.url;
  });
  onCleanup(() => thumbnail?.revoke());

  // The whole file, for media that show it (read from disk once it is all here; not for plain files).
  const [fullUrl, setFullUrl] = createSignal<string>();
  const showsWhole = createMemo(() => f().media !== 'file' && wholeHere(m(), f()));
  createEffect(
    on(showsWhole, (want) => {
      setFullUrl(undefined);
      if (!want) return;
      let gone = false;
      let url: ReturnType<typeof objectUrl> | undefined;
      onCleanup(() => {
        gone = true;
        url?.revoke();
      });
      const media = f().media;
      const hasThumbnail = thumbUrl() !== undefined;
      messenger
        .fileBlob(m().contactId, m().messageId)
        .then(async (blob) => {
          if (gone || !blob) return;
          url = objectUrl(blob);
          // A photo replaces its thumbnail once decoded, so that nothing blank shows in between.
          if (media === 'image' && hasThumbnail) {
            const probe = new Image();
            probe.src = url.url;
            await probe.decode().catch(() => undefined);
          }
          if (!gone) setFullUrl(url.url);
        })
        .catch((e: unknown) => console.error('SecMsg:', e));
    }),
  );

  // What a sent offer waits for now: the person, their coming online, or their app's update.
  const [liveVersion, setLiveVersion] = createSignal(0);
  onCleanup(messenger.on('connection', (id) => id === m().contactId && setLiveVersion((v) => v + 1)));
  const waitsFor = () => {
    liveVersion();
    return offerWaitsFor(messenger.live(m().contactId));
  };

  // The free space, asked once an incoming offer waits for the person.
  const [free, setFree] = createSignal<number>();
  const askingToAccept = createMemo(() => !mine() && f().state === 'offered');
  createEffect(
    on(askingToAccept, (asking) => {
      if (!asking) return;
      messenger.storageEstimate().then(
        (e) => setFree(e ? Math.max(0, e.quota - e.usage) : undefined),
        () => setFree(undefined),
      );
    }),
  );

  const [busy, setBusy] = createSignal(false);
  const [problem, setProblem] = createSignal('');
  const act = async (call: () => Promise<void>) => {
    setBusy(true);
    setProblem('');
    try {
      await call();
    } catch (e) {
      setProblem(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const ids = () => [m().contactId, m().messageId] as const;
  const accept = () => void act(async () => messenger.acceptFile(...ids()));
  const cancel = () => void act(async () => messenger.cancelFile(...ids()));
  const save = () =>
    void act(async () => {
      const blob = await messenger.fileBlob(...ids());
      if (blob) saveFile(blob, name());
      else setProblem(text.notOnThisDevice);
    });

  const moving = () => f().state === 'sending' || f().state === 'receiving';
  const preview = () => fullUrl() ?? thumbUrl();

  return (
    <div class="file-message" data-media={f().media} data-transfer={f().state}>
      <Switch>
        <Match when={f().media === 'image' && preview()}>
          {(url) => (
            <img
              class="file-preview"
              src={url()}
              alt={text.photo(name())}
              data-preview={fullUrl() ? 'full' : 'thumbnail'}
              width={f().width}
              height={f().height}
            />
          )}
        </Match>
        <Match when={f().media === 'video' && fullUrl()}>
          {(url) => (
            <video
              class="file-preview"
              src={url()}
              controls
              preload="metadata"
              aria-label={text.video(name())}
              poster={thumbUrl()}
              width={f().width}
              height={f().height}
            />
          )}
        </Match>
        <Match when={f().media === 'video' && thumbUrl()}>
          {(url) => (
            <img
              class="file-preview"
              src={url()}
              alt={text.video(name())}
              data-preview="thumbnail"
              width={f().width}
              height={f().height}
            />
          )}
        </Match>
        <Match when={f().media === 'voice' && fullUrl()}>
          {(url) => (
            <audio
              src={url()}
              controls
              preload="metadata"
              aria-label={
                f().durationMs === undefined
                  ? text.voiceNoteNoDuration
                  : text.voiceNote(text.duration(f().durationMs!))
              }
            />
          )}
        </Match>
        <Match when={f().media === 'voice'}>
          <p class="file-name">
            {f().durationMs === undefined
              ? text.voiceNoteNoDuration
              : text.voiceNote(text.duration(f().durationMs!))}
          </p>
        </Match>
      </Switch>
      <Show when={f().media === 'file' || (f().media !== 'voice' && !preview())}>
        <p class="file-name">
          <span aria-hidden="true">📎 </span>
          {name()}
        </p>
      </Show>
      <Show when={f().media === 'file' && !moving() && !askingToAccept()}>
        <p class="file-detail">{text.size(f().size)}</p>
      </Show>
      <Show when={moving()}>
        <div class="file-progress">
          <progress aria-label={text.transferOf(name())} value={bytesDone(f())} max={f().size} />
          <span class="file-detail">{text.progress(bytesDone(f()), f().size)}</span>
          <button type="button" aria-label={text.cancel(name())} disabled={busy()} onClick={cancel}>
            {text.cancelWord}
          </button>
        </div>
      </Show>
      <Switch>
        <Match when={f().state === 'preparing'}>
          <p class="file-detail">{text.preparing}</p>
        </Match>
        <Match when={f().state === 'offered' && mine()}>
          <p class="file-detail">
            {waitsFor() === 'accept'
              ? text.waitingToAccept(props.contactName)
              : waitsFor() === 'update'
                ? text.willSendWhenUpdated(props.contactName)
                : text.willSendWhenOnline(props.contactName)}{' '}
            <button type="button" aria-label={text.cancel(name())} disabled={busy()} onClick={cancel}>
              {text.cancelWord}
            </button>
          </p>
        </Match>
        <Match when={askingToAccept()}>
          <p class="file-detail">
            {text.sizeAndFree(text.size(f().size), free() === undefined ? undefined : text.size(free()!))}
          </p>
          <p class="file-buttons">
            <button
              type="button"
              class="primary"
              aria-label={text.accept(name())}
              disabled={busy()}
              onClick={accept}
            >
              {text.acceptWord}
            </button>
            <button type="button" aria-label={text.decline(name())} disabled={busy()} onClick={cancel}>
              {text.declineWord}
            </button>
          </p>
        </Match>
        <Match when={f().state === 'done' && mine() && f().inline !== undefined && m().state === 'queued'}>
          {/* A small file travels inside its message: sent when the message is. */}
          <Show when={waitsFor() === 'online'}>
            <p class="file-detail">{text.willSendWhenOnline(props.contactName)}</p>
          </Show>
        </Match>
        <Match when={f().state === 'done' && mine()}>
          <div class="file-detail">{text.sent}</div>
        </Match>
        <Match when={f().state === 'done'}>
          <p class="file-buttons">
            <button type="button" aria-label={text.save(name())} disabled={busy()} onClick={save}>
              {text.saveWord}
            </button>
          </p>
        </Match>
        <Match when={f().state === 'cancelled'}>
          <p class="file-detail">
            {f().cancelledBy === 'them' ? text.cancelledBy(props.contactName) : text.cancelled}
          </p>
        </Match>
        <Match when={f().state === 'failed'}>
          <p class="file-detail file-failed">{f().error ?? text.failed}</p>
        </Match>
      </Switch>
      <Show when={problem()}>
        <p class="file-problem" role="alert">
          {problem()}
        </p>
      </Show>
    </div>
  );
}
