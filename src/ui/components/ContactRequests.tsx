import { For, Show, createSignal, onCleanup, onMount } from 'solid-js';
import type { IncomingRequest } from '../../app/usernames';
import { useApp } from '../app-context';
import { errorText } from '../errors';
import { formatTime } from '../format-time';
import * as text from '../strings/usernames';
import { Outcome } from './Outcome';

/** How often the pairing screen reads the request mailbox while it is open. */
const POLL_MS = 5_000;

interface Shown {
  readonly request: IncomingRequest;
  /** Sentences about look-alike or invisible characters in the suggested name (names.ts). */
  readonly nameIssues: readonly string[];
}

/**
 * Contact requests for this device's username, each with the requester's suggested name (marked as
 * theirs), the safety number to compare, Accept and Ignore. `compact`: only a line saying how many
 * wait, and a button to the pairing screen (above the conversation list); the pairing screen reads
 * the request mailbox when it opens and every few seconds while it is open.
 */
export function ContactRequests(props: { compact?: boolean }) {
  const app = useApp();
  const [shown, setShown] = createSignal<Shown[]>([]);
  const [problem, setProblem] = createSignal('');
  const [note, setNote] = createSignal('');
  const [busy, setBusy] = createSignal(false);

  const show = async (list: readonly IncomingRequest[]) => {
    const names = await import('../../app/names');
    setShown(
      list.map((request) => ({
        request,
        nameIssues: names.nameIssueSentences(names.checkName(request.request.displayName)),
      })),
    );
  };

  const read = async () => {
    const m = app.messenger();
    if (!m || !app.config.signalingUrl) return;
    const u = await m.usernames();
    if ((await u.mine()) === undefined && u.waiting().length === 0) {
      setShown([]);
      return;
    }
    await show(await u.read());
  };
  const refresh = () => void read().catch(() => undefined); // the next read tries again

  onMount(() => {
    // Above the list, only the messenger's reads (with its mailbox checks) are shown: the code
    // that opens requests loads for a device with a username, not for every page.
    if (!props.compact) refresh();
    const m = app.messenger();
    const off = m?.on('requests', () => {
      void m
        .usernames()
        .then(async (u) => show(u.waiting()))
        .catch(() => undefined);
    });
    const timer = props.compact ? undefined : setInterval(refresh, POLL_MS);
    onCleanup(() => {
      off?.();
      clearInterval(timer);
    });
  });

  const decide = async (r: IncomingRequest, accept: boolean) => {
    setBusy(true);
    setProblem('');
    setNote('');
    try {
      const m = app.messenger();
      if (!m) throw new Error('The app is not ready yet.');
      const u = await m.usernames();
      if (accept) {
        const contact = await u.accept(r.id);
        app.actions.show({ name: 'chat', contactId: contact.id });
      } else {
        await u.ignore(r.id);
        setNote(text.ignored);
      }
      await show(u.waiting());
    } catch (e) {
      setProblem(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Show when={shown().length > 0 || problem() || note()}>
      <section aria-labelledby={props.compact ? undefined : 'requests-heading'} class="contact-requests">
        <Show
          when={!props.compact}
          fallback={
            <p role="status">
              {text.requestsWaiting(shown().length)}{' '}
              <button type="button" onClick={() => app.actions.show({ name: 'pair' })}>
                {text.showRequests}
              </button>
            </p>
          }
        >
          <h3 id="requests-heading">{text.requestsHeading}</h3>
          <ul>
            <For each={shown()}>
              {(s) => {
                const name = s.request.request.displayName;
                return (
                  <li aria-label={text.requestFrom(name)}>
                    <p>
                      {text.suggestedName} <q data-testid="request-name">{name}</q>
                    </p>
                    <Show when={s.nameIssues.length > 0}>
                      <p class="note">
                        {text.nameWarning} {s.nameIssues.join(' ')}
                      </p>
                    </Show>
                    <p class="note">{text.sentAt(formatTime(s.request.at))}</p>
                    <Show when={s.request.knownContactId}>
                      <p class="note">{text.alreadyContact}</p>
                    </Show>
                    <p>{text.safetyNumber}</p>
                    <p
                      class="safety-number"
                      aria-label={text.safetyNumber}
                      data-testid="request-safety-number"
                    >
                      <For each={s.request.safetyNumber.match(/\d{5}/g) ?? []}>
                        {(g) => <span>{g} </span>}
                      </For>
                    </p>
                    <p class="note">{text.compareLater}</p>
                    <div class="choices">
                      <button
                        type="button"
                        class="primary"
                        aria-label={text.acceptLabel(name)}
                        disabled={busy()}
                        onClick={() => void decide(s.request, true)}
                      >
                        {text.accept}
                      </button>
                      <button
                        type="button"
                        aria-label={text.ignoreLabel(name)}
                        disabled={busy()}
                        onClick={() => void decide(s.request, false)}
                      >
                        {text.ignore}
                      </button>
                    </div>
                  </li>
                );
              }}
            </For>
          </ul>
        </Show>
        <Outcome note={note()} problem={problem()} />
      </section>
    </Show>
  );
}
