import { For, Show, Suspense, createMemo, createSignal, lazy } from 'solid-js';
import { useApp } from '../app-context';
import { ConversationEntry } from '../components/ConversationEntry';
import type { ContactView } from '../stores/app-store';
import * as text from '../strings/home';

// The search box and its results load after the list (the app's initial code stays small).
const ConversationSearch = lazy(async () => ({
  default: (await import('../components/ConversationSearch')).ConversationSearch,
}));
// Contact requests for this device's username, when there are any (loaded after the list too).
const ContactRequests = lazy(async () => ({
  default: (await import('../components/ContactRequests')).ContactRequests,
}));

/**
 * The conversation list: every contact, most recent activity first, with its avatar, last message,
 * unread count, trust and connection; archived ones under "Archived"; a search box over contacts
 * and messages whose results stand in for the list while it holds words. The entry of the chat
 * open beside it (on a laptop) is marked as the current one.
 */
export function HomePage(props: { openContactId?: string | undefined }) {
  const app = useApp();
  const [searching, setSearching] = createSignal(false);
  // In the messenger's order; a contact it has not summarised yet goes last, by when it was seen.
  const sorted = createMemo(() => {
    const rank = new Map(app.state.order.map((id, i) => [id, i]));
    return [...app.state.contacts].sort(
      (a, b) => (rank.get(a.id) ?? Infinity) - (rank.get(b.id) ?? Infinity) || b.lastSeen - a.lastSeen,
    );
  });
  const archived = (c: ContactView) => app.state.conversations[c.id]?.archived === true;
  const active = () => sorted().filter((c) => !archived(c));
  const hidden = () => sorted().filter(archived);
  return (
    <section aria-labelledby="home-heading" class="page home">
      <div class="page-head">
        <h2 id="home-heading">{text.conversations}</h2>
        <button type="button" class="primary" onClick={() => app.actions.show({ name: 'pair' })}>
          {text.pairWithSomeone}
        </button>
      </div>
      <Show when={app.config.signalingUrl}>
        <Suspense>
          <ContactRequests compact />
        </Suspense>
      </Show>
      <Show when={app.state.contacts.length > 0} fallback={<p>{text.noConversations}</p>}>
        <Suspense>
          <ConversationSearch onSearching={setSearching} />
        </Suspense>
        <Show when={!searching()}>
          <ul class="contacts" aria-label={text.conversations}>
            <For each={active()}>
              {(c) => <ConversationEntry contact={c} open={props.openContactId === c.id} />}
            </For>
          </ul>
          <Show when={hidden().length > 0}>
            <details class="archived">
              <summary>{text.archived(hidden().length)}</summary>
              <ul class="contacts" aria-label={text.archivedConversations}>
                <For each={hidden()}>
                  {(c) => <ConversationEntry contact={c} open={props.openContactId === c.id} />}
                </For>
              </ul>
            </details>
          </Show>
        </Show>
      </Show>
    </section>
  );
}
