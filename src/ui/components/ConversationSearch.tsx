import { For, type JSX, Show, createSignal, onCleanup } from 'solid-js';
import type { SearchResult } from '../../app/conversation-search';
import { useApp } from '../app-context';
import { errorText } from '../errors';
import * as text from '../strings/search';
import { listTime } from './ConversationEntry';

/** How long typing pauses before a search starts. */
const SEARCH_DELAY_MS = 150;

/** One search result: a button that opens the chat the result belongs to. */
function Hit(props: { contactId: string; children: JSX.Element }) {
  const app = useApp();
  return (
    <li>
      <button
        type="button"
        class="contact"
        onClick={() => app.actions.show({ name: 'chat', contactId: props.contactId })}
      >
        {props.children}
      </button>
    </li>
  );
}

/**
 * The search box over contacts and messages (on this device only) and, while it holds words, its
 * results instead of the list: contacts by name, then messages with the words marked. A result
 * opens its chat. `searching` tells the list whether results are shown.
 */
export function ConversationSearch(props: { onSearching: (on: boolean) => void }) {
  const app = useApp();
  const [query, setQuery] = createSignal('');
  const [result, setResult] = createSignal<SearchResult | undefined>();
  const [problem, setProblem] = createSignal('');
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: AbortController | undefined;
  onCleanup(() => {
    clearTimeout(timer);
    running?.abort();
  });
  const name = (contactId: string) =>
    app.state.contacts.find((c) => c.id === contactId)?.name ?? text.unknownContact;

  const search = (q: string) => {
    clearTimeout(timer);
    running?.abort();
    setProblem('');
    if (q.trim() === '') {
      setResult(undefined);
      props.onSearching(false);
      return;
    }
    props.onSearching(true);
    timer = setTimeout(() => {
      const m = app.messenger();
      if (!m) return;
      const mine = new AbortController();
      running = mine;
      m.search(q.trim(), { signal: mine.signal }).then(
        (r) => !mine.signal.aborted && setResult(r),
        (e: unknown) => !mine.signal.aborted && setProblem(errorText(e)),
      );
    }, SEARCH_DELAY_MS);
  };

  return (
    <div class="search">
      <label>
        <span class="visually-hidden">{text.search}</span>
        <input
          type="search"
          placeholder={text.search}
          value={query()}
          autocomplete="off"
          onInput={(e) => {
            setQuery(e.currentTarget.value);
            search(e.currentTarget.value);
          }}
        />
      </label>
      <Show when={problem()}>
        <p role="alert">{problem()}</p>
      </Show>
      <Show when={query().trim() !== '' && result()}>
        {(r) => (
          <section class="search-results" aria-label={text.results}>
            <p role="status" class="note">
              {r().contacts.length + r().messages.length === 0
                ? text.nothingMatches(query().trim())
                : text.found(r().contacts.length, r().messages.length)}
            </p>
            <Show when={r().contacts.length > 0}>
              <h3>{text.contactsHeading}</h3>
              <ul class="contacts" aria-label={text.contactsFound}>
                <For each={r().contacts}>
                  {(hit) => (
                    <Hit contactId={hit.contactId}>
                      <span class="name">{name(hit.contactId)}</span>
                    </Hit>
                  )}
                </For>
              </ul>
            </Show>
            <Show when={r().messages.length > 0}>
              <h3>{text.messagesHeading}</h3>
              <ul class="contacts" aria-label={text.messagesFound}>
                <For each={r().messages}>
                  {(hit) => (
                    <Hit contactId={hit.contactId}>
                      <span class="entry-main">
                        <span class="entry-top">
                          <span class="name">
                            {hit.direction === 'out' ? text.youTo(name(hit.contactId)) : name(hit.contactId)}
                          </span>{' '}
                          <span class="entry-time">{listTime(hit.sentAt)}</span>
                        </span>
                        <span class="entry-preview">
                          {' '}
                          {hit.snippet.slice(0, hit.match.start)}
                          <mark>
                            {hit.snippet.slice(hit.match.start, hit.match.start + hit.match.length)}
                          </mark>
                          {hit.snippet.slice(hit.match.start + hit.match.length)}
                        </span>
                      </span>
                    </Hit>
                  )}
                </For>
              </ul>
            </Show>
          </section>
        )}
      </Show>
    </div>
  );
}
