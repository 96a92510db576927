import { For, Show, createMemo, createSignal, onMount } from 'solid-js';
import type { SafetyNumberView } from '../../app/messenger';
import { useApp } from '../app-context';
import { QrCode } from '../components/QrCode';
import { QrScanner, type QrSource } from '../components/QrScanner';
import { errorText } from '../errors';
import * as text from '../strings/safety';

/**
 * The safety number with one contact: 60 digits in 12 groups of 5 and my QR code (Signal's
 * format), a scanner for theirs, and "The numbers match". Nothing else marks a contact verified.
 */
export function SafetyPage(props: { contactId: string }) {
  const app = useApp();
  const messenger = app.messenger()!;
  const contact = createMemo(() => app.state.contacts.find((c) => c.id === props.contactId));
  const [number, setNumber] = createSignal<SafetyNumberView>();
  const [result, setResult] = createSignal('');
  const [problem, setProblem] = createSignal('');
  onMount(() => {
    messenger.safetyNumber(props.contactId).then(setNumber, (e: unknown) => setProblem(errorText(e)));
  });
  const act = async (f: () => Promise<void>) => {
    setProblem('');
    setResult('');
    try {
      await f();
    } catch (e) {
      setProblem(errorText(e));
    }
  };
  /** A code read from a picture matched: waiting for "I got it in person" (or not). */
  const [photoMatched, setPhotoMatched] = createSignal(false);
  const scanned = async (bytes: Uint8Array, source: QrSource) =>
    act(async () => {
      setPhotoMatched(false);
      const outcome = await messenger.verifyByScan(props.contactId, bytes, source);
      if (outcome === 'verified') setResult(text.codesMatch);
      else if (outcome === 'matched-photo') {
        setResult(text.pictureMatches);
        setPhotoMatched(true);
      } else setProblem(text.codesDiffer);
    });

  return (
    <Show when={contact()} fallback={<p role="alert">{text.noConversation}</p>}>
      {(c) => (
        <section aria-labelledby="safety-heading" class="page">
          <div class="page-head">
            <button
              type="button"
              class="back"
              onClick={() => app.actions.show({ name: 'chat', contactId: c().id })}
            >
              {text.backToChat}
            </button>
            <h2 id="safety-heading">{text.heading(c().name)}</h2>
          </div>
          <Show when={c().keyChangePending}>
            <p role="alert">{text.keyChangePending(c().name)}</p>
          </Show>
          <p>{text.compare(c().name)}</p>
          <Show when={number()} fallback={<p role="status">{text.computing}</p>}>
            {(n) => (
              <>
                <p class="safety-number" aria-label={text.safetyNumber} data-testid="safety-number">
                  <For each={n().digits.match(/\d{5}/g) ?? []}>{(g) => <span>{g} </span>}</For>
                </p>
                <QrCode bytes={n().scannable} label={text.yourCode} />
              </>
            )}
          </Show>
          <p>
            <span class={c().verified ? 'badge ok' : 'badge'} data-testid="verified-state">
              {c().verified ? text.verified : text.notVerified}
            </span>
          </p>
          <Show when={result()}>
            <p role="status">{result()}</p>
          </Show>
          <Show when={problem()}>
            <p role="alert">{problem()}</p>
          </Show>
          <Show when={!c().keyChangePending}>
            <Show when={photoMatched()}>
              <p>
                <button
                  type="button"
                  class="primary"
                  onClick={() =>
                    void act(async () => {
                      await messenger.confirmPhotoInPerson(c().id);
                      setPhotoMatched(false);
                      setResult(text.verifiedByPicture);
                    })
                  }
                >
                  {text.gotPictureInPerson}
                </button>{' '}
                <button
                  type="button"
                  onClick={() => {
                    setPhotoMatched(false);
                    setResult(text.notVerifiedCompare);
                  }}
                >
                  {text.pictureWasSent}
                </button>
              </p>
            </Show>
            <QrScanner label={text.scanTheirCode} onBytes={(b, source) => void scanned(b, source)} />
            <Show
              when={!c().verified}
              fallback={
                <button type="button" onClick={() => void act(async () => messenger.clearVerified(c().id))}>
                  {text.removeVerified}
                </button>
              }
            >
              <button
                type="button"
                class="primary"
                onClick={() =>
                  void act(async () => {
                    await messenger.markVerified(c().id);
                    setResult(text.markedVerified);
                  })
                }
              >
                {text.numbersMatch}
              </button>
            </Show>
          </Show>
        </section>
      )}
    </Show>
  );
}
