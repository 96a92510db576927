import { For, Show, createSignal, onCleanup } from 'solid-js';
import type { Connected } from '../../app/connect';
import { randomBytes } from '../../crypto/random';
import { errorText } from '../errors';

interface Line {
  id: number;
  mine: boolean;
  body: string;
  at: number;
}

/** Connection state, the safety number, the messages, and the box to write one. */
export function Chat(props: { connection: Connected }) {
  const c = () => props.connection;
  const [lines, setLines] = createSignal<Line[]>([]);
  const [draft, setDraft] = createSignal('');
  const [state, setState] = createSignal('Connected securely');
  const [problem, setProblem] = createSignal('');
  let next = 0;
  const add = (mine: boolean, body: string, at: number) =>
    setLines((l) => [...l, { id: next++, mine, body, at }]);

  onCleanup(
    c().session.on('record', (r) => {
      if (r.kind === 'text') add(false, r.body, r.sentAt);
    }),
  );
  onCleanup(c().session.on('error', (e) => setProblem(e.message)));
  onCleanup(c().session.on('close', (info) => setState(`Disconnected: ${info.message}`)));

  const send = async (event: SubmitEvent) => {
    event.preventDefault();
    const body = draft().trim();
    if (!body) return;
    const sentAt = Date.now();
    try {
      await c().session.send({ kind: 'text', id: randomBytes(16), sentAt, body });
      add(true, body, sentAt);
      setDraft('');
    } catch (e) {
      setProblem(errorText(e));
    }
  };

  const groups = () => c().safetyNumber.match(/\d{5}/g) ?? [];
  return (
    <section aria-labelledby="chat-heading">
      <h2 id="chat-heading">Chat with {c().peer.displayName || 'your contact'}</h2>
      <p role="status" data-testid="connection-state">
        {state()}
      </p>
      <Show when={problem()}>
        <p role="alert">{problem()}</p>
      </Show>
      <details>
        <summary>Safety number</summary>
        <p>Compare these digits with the other person's screen. If they match, nobody sits in the middle.</p>
        <p class="safety-number" aria-label="Safety number" data-testid="safety-number">
          <For each={groups()}>{(g) => <span>{g} </span>}</For>
        </p>
      </details>
      <ol class="messages" aria-label="Messages">
        <For each={lines()}>
          {(line) => (
            <li classList={{ mine: line.mine }}>
              <span class="who">{line.mine ? 'You' : c().peer.displayName || 'Them'}</span>{' '}
              <time dateTime={new Date(line.at).toISOString()}>{new Date(line.at).toLocaleTimeString()}</time>
              <p>{line.body}</p>
            </li>
          )}
        </For>
      </ol>
      <form onSubmit={(e) => void send(e)}>
        <label>
          Message
          <input value={draft()} onInput={(e) => setDraft(e.currentTarget.value)} autocomplete="off" />
        </label>
        <button type="submit">Send</button>
      </form>
    </section>
  );
}
