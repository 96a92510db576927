import { For, Show, createMemo, createSignal, onMount } from 'solid-js';
import type { SafetyNumberView } from '../../app/messenger';
import { useApp } from '../app-context';
import { QrCode } from '../components/QrCode';
import { QrScanner, type QrSource } from '../components/QrScanner';
import { errorText } from '../errors';

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
      if (outcome === 'verified') setResult('The codes match. This contact is now verified.');
      else if (outcome === 'matched-photo') {
        setResult(
          'The code in the picture matches yours. A picture proves the code, not who sent it: did you get it in person (or from their screen, on a call you trust)?',
        );
        setPhotoMatched(true);
      } else
        setProblem(
          'The codes do not match. This is not the person you paired with, or someone sits in the middle. Do not mark them verified.',
        );
    });

  return (
    <Show when={contact()} fallback={<p role="alert">This conversation no longer exists.</p>}>
      {(c) => (
        <section aria-labelledby="safety-heading" class="page">
          <div class="page-head">
            <button
              type="button"
              class="back"
              onClick={() => app.actions.show({ name: 'chat', contactId: c().id })}
            >
              Back to the chat
            </button>
            <h2 id="safety-heading">Safety number with {c().name}</h2>
          </div>
          <Show when={c().keyChangePending}>
            <p role="alert">
              {c().name}'s identity key changed. Accept or refuse the new key in the chat first; this number
              is for the old key.
            </p>
          </Show>
          <p>
            Compare these digits with the ones on {c().name}'s screen, in person or on a call you trust — or
            scan each other's code. If they match, nobody sits in the middle.
          </p>
          <Show when={number()} fallback={<p role="status">Computing the safety number…</p>}>
            {(n) => (
              <>
                <p class="safety-number" aria-label="Safety number" data-testid="safety-number">
                  <For each={n().digits.match(/\d{5}/g) ?? []}>{(g) => <span>{g} </span>}</For>
                </p>
                <QrCode bytes={n().scannable} label="Your safety-number QR code" />
              </>
            )}
          </Show>
          <p>
            <span class={c().verified ? 'badge ok' : 'badge'} data-testid="verified-state">
              {c().verified ? 'Verified' : 'Not verified'}
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
                      setResult('Marked as verified: the picture matched and you got it in person.');
                    })
                  }
                >
                  I got this picture in person
                </button>{' '}
                <button
                  type="button"
                  onClick={() => {
                    setPhotoMatched(false);
                    setResult('Not verified: compare the numbers in person or on a call to verify.');
                  }}
                >
                  No, it was sent to me
                </button>
              </p>
            </Show>
            <QrScanner
              label="Scan their safety-number code"
              onBytes={(b, source) => void scanned(b, source)}
            />
            <Show
              when={!c().verified}
              fallback={
                <button type="button" onClick={() => void act(async () => messenger.clearVerified(c().id))}>
                  Remove the verified mark
                </button>
              }
            >
              <button
                type="button"
                class="primary"
                onClick={() =>
                  void act(async () => {
                    await messenger.markVerified(c().id);
                    setResult('Marked as verified.');
                  })
                }
              >
                The numbers match
              </button>
            </Show>
          </Show>
        </section>
      )}
    </Show>
  );
}
