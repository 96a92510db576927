import { Show, createSignal } from 'solid-js';
import { parseIceServers, saveConfig, signalingProblem } from '../../app/config';
import { persistenceText } from '../../store/persistence';
import { useApp } from '../app-context';
import { errorText } from '../errors';

/** My name, the connection settings, storage status, a new identity, and deleting everything. */
export function SettingsPage() {
  const app = useApp();
  const [name, setName] = createSignal(app.state.myName);
  const [nameNote, setNameNote] = createSignal('');
  const [signalingUrl, setSignalingUrl] = createSignal(app.config.signalingUrl);
  const [iceText, setIceText] = createSignal(JSON.stringify(app.config.iceServers));
  const [note, setNote] = createSignal('');
  const [problem, setProblem] = createSignal('');
  const [confirmReset, setConfirmReset] = createSignal(false);
  const [confirmRotate, setConfirmRotate] = createSignal(false);
  const [rotating, setRotating] = createSignal(false);
  const [rotateNote, setRotateNote] = createSignal('');
  const [confirmDelete, setConfirmDelete] = createSignal(false);

  const saveName = async (e: SubmitEvent) => {
    e.preventDefault();
    try {
      await app.actions.rename(name());
      setNameNote('Saved. People see the new name the next time you connect.');
    } catch (err) {
      setNameNote(errorText(err));
    }
  };

  const saveConnection = (e: SubmitEvent) => {
    e.preventDefault();
    setNote('');
    setProblem('');
    const ice = parseIceServers(iceText());
    if (!ice) {
      setProblem('The ICE servers must be a JSON list like [{"urls":"stun:stun.example.org:3478"}].');
      return;
    }
    const url = signalingUrl().trim();
    const bad = signalingProblem(url);
    if (bad) {
      setProblem(bad);
      return;
    }
    saveConfig({ signalingUrl: url, iceServers: ice });
    setNote('Saved. Reload the page to use the new settings.');
  };

  return (
    <section aria-labelledby="settings-heading" class="page narrow">
      <div class="page-head">
        <button type="button" class="back" onClick={() => app.actions.show({ name: 'home' })}>
          Back to conversations
        </button>
        <h2 id="settings-heading">Settings</h2>
      </div>

      <form onSubmit={(e) => void saveName(e)} aria-labelledby="name-heading">
        <h3 id="name-heading">Your name</h3>
        <label>
          Display name
          <input value={name()} onInput={(e) => setName(e.currentTarget.value)} maxLength={64} />
        </label>
        <button type="submit">Save name</button>
        <Show when={nameNote()}>
          <p role="status">{nameNote()}</p>
        </Show>
      </form>

      <form onSubmit={saveConnection} aria-labelledby="connection-heading">
        <h3 id="connection-heading">Connection</h3>
        <label>
          Signaling server
          <input value={signalingUrl()} onInput={(e) => setSignalingUrl(e.currentTarget.value)} />
        </label>
        <p class="note">Relays only encrypted pairing messages. Leave empty to pair with codes only.</p>
        <label>
          ICE servers (JSON)
          <input value={iceText()} onInput={(e) => setIceText(e.currentTarget.value)} />
        </label>
        <p class="note">STUN or TURN servers that help devices on different networks find each other.</p>
        <button type="submit">Save settings</button>
        <Show when={note()}>
          <p role="status">{note()}</p>
        </Show>
        <Show when={problem()}>
          <p role="alert">{problem()}</p>
        </Show>
      </form>

      <section aria-labelledby="storage-heading">
        <h3 id="storage-heading">Storage</h3>
        <p data-testid="storage-status">
          {app.state.persistence === 'unknown'
            ? 'Checking whether storage is persistent…'
            : persistenceText(app.state.persistence)}
        </p>
      </section>

      <section aria-labelledby="keys-heading">
        <h3 id="keys-heading">Replace my keys</h3>
        <p>
          Makes new identity keys and signs them with your current ones, so your contacts take them without a
          warning and a verified contact stays verified. Use it when you think a key may have been copied.
        </p>
        <Show
          when={confirmRotate()}
          fallback={
            <button type="button" disabled={rotating()} onClick={() => setConfirmRotate(true)}>
              Replace my keys…
            </button>
          }
        >
          <button
            type="button"
            onClick={() => {
              setConfirmRotate(false);
              setRotating(true);
              setRotateNote('');
              app.actions
                .rotateKeys()
                .then(
                  () =>
                    setRotateNote(
                      'Your keys were replaced. Contacts you are connected to were told now; the others are told the next time you connect.',
                    ),
                  (err: unknown) => setRotateNote(errorText(err)),
                )
                .finally(() => setRotating(false));
            }}
          >
            Yes, replace my keys
          </button>{' '}
          <button type="button" onClick={() => setConfirmRotate(false)}>
            Keep my keys
          </button>
        </Show>
        <Show when={rotateNote()}>
          <p role="status">{rotateNote()}</p>
        </Show>
      </section>

      <section aria-labelledby="identity-heading">
        <h3 id="identity-heading">Identity</h3>
        <p>
          A new identity makes new keys that nothing signs. Your contacts will see that your key changed and
          must accept it before you can talk again; verified marks are lost. To keep them, replace your keys
          above instead.
        </p>
        <Show
          when={confirmReset()}
          fallback={
            <button type="button" onClick={() => setConfirmReset(true)}>
              Start a new identity…
            </button>
          }
        >
          <button
            type="button"
            class="danger"
            onClick={() => {
              setConfirmReset(false);
              app.actions.resetIdentity(app.state.myName).then(
                () => setNameNote('You have a new identity key.'),
                (err: unknown) => setProblem(errorText(err)),
              );
            }}
          >
            Yes, replace my identity key
          </button>{' '}
          <button type="button" onClick={() => setConfirmReset(false)}>
            Keep my identity
          </button>
        </Show>
      </section>

      <section aria-labelledby="delete-heading">
        <h3 id="delete-heading">Delete everything</h3>
        <p>Removes your identity, contacts, messages and settings from this device. This cannot be undone.</p>
        <Show
          when={confirmDelete()}
          fallback={
            <button type="button" class="danger" onClick={() => setConfirmDelete(true)}>
              Delete everything…
            </button>
          }
        >
          <button
            type="button"
            class="danger"
            onClick={() =>
              void app.actions.deleteEverything().catch((err: unknown) => setProblem(errorText(err)))
            }
          >
            Yes, delete everything on this device
          </button>{' '}
          <button type="button" onClick={() => setConfirmDelete(false)}>
            Cancel
          </button>
        </Show>
      </section>
    </section>
  );
}
