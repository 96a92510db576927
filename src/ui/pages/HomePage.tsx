import { For, Show } from 'solid-js';
import { useApp } from '../app-context';

/**
 * The conversation list: every contact, most recently seen first, with trust and connection. The
 * entry of the chat open beside it (on a laptop) is marked as the current one.
 */
export function HomePage(props: { openContactId?: string | undefined }) {
  const app = useApp();
  return (
    <section aria-labelledby="home-heading" class="page home">
      <div class="page-head">
        <h2 id="home-heading">Conversations</h2>
        <button type="button" class="primary" onClick={() => app.actions.show({ name: 'pair' })}>
          Pair with someone
        </button>
      </div>
      <Show
        when={app.state.contacts.length > 0}
        fallback={
          <p>No conversations yet. Pair with someone: show them your invite QR code, or scan theirs.</p>
        }
      >
        <ul class="contacts" aria-label="Conversations">
          <For each={app.state.contacts}>
            {(c) => (
              <li>
                <button
                  type="button"
                  class="contact"
                  data-contact-id={c.id}
                  aria-current={props.openContactId === c.id ? 'true' : undefined}
                  onClick={() => app.actions.show({ name: 'chat', contactId: c.id })}
                >
                  <span class="name">{c.name}</span>
                  <Show when={c.tellApart}>{(t) => <span class="tell-apart"> ({t()})</span>}</Show>
                  <Show when={c.nameIsAnnounced}>
                    <span class="name-note"> calls themselves this</span>
                  </Show>
                  <span class="badges">
                    <Show when={c.looksLike}>
                      <span class="badge warn">Looks like {c.looksLike}</span>
                    </Show>
                    <Show when={c.nameWarnings.length > 0}>
                      <span class="badge warn">Unusual characters</span>
                    </Show>
                    <Show when={c.reconnectPaused}>
                      <span class="badge warn">Possible interception</span>
                    </Show>
                    <Show when={c.keyChangePending}>
                      <span class="badge warn">Key changed</span>
                    </Show>
                    <span class={c.verified ? 'badge ok' : 'badge'}>
                      {c.verified ? 'Verified' : 'Not verified'}
                    </span>
                    <span class={c.connected ? 'badge ok' : 'badge'}>
                      {c.connected ? 'Connected' : 'Offline'}
                    </span>
                  </span>
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}
