import { Show, createSignal } from 'solid-js';
import { parseIceServers, saveConfig, signalingProblem } from '../../app/config';
import { persistenceText } from '../../store/persistence';
import { useApp } from '../app-context';
import { Diagnostics } from '../components/Diagnostics';
import { NotificationSettings } from '../components/NotificationSettings';
import { UsernameSettings } from '../components/UsernameSettings';
import { errorText } from '../errors';
import { Outcome } from '../components/Outcome';

/**
 * My name, the connection settings, privacy and notifications, storage status, diagnostics (the
 * self-test), a new identity, and deleting everything.
 */
export function SettingsPage() {
  const app = useApp();
  const [name, setName] = createSignal(app.state.myName);
  const [nameNote, setNameNote] = createSignal('');
  const [signalingUrl, setSignalingUrl] = createSignal(app.config.signalingUrl);
  const [iceText, setIceText] = createSignal(JSON.stringify(app.config.iceServers));
  const [alwaysRelay, setAlwaysRelay] = createSignal(app.config.alwaysRelay === true);
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
    saveConfig({ ...app.config, signalingUrl: url, iceServers: ice, alwaysRelay: alwaysRelay() });
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

      <UsernameSettings />

      <form onSubmit={saveConnection} aria-labelledby="connection-heading">
        <h3 id="connection-heading">Connection</h3>
        <label>
          Signaling server
          <input value={signalingUrl()} onInput={(e) => setSignalingUrl(e.currentTarget.value)} />
        </label>
        <p class="note">
          Relays encrypted pairing messages and keeps encrypted messages for contacts whose app is closed.
          Leave empty to pair with codes only (messages then wait until both are online).
        </p>
        <label>
          ICE servers (JSON)
          <input value={iceText()} onInput={(e) => setIceText(e.currentTarget.value)} />
        </label>
        <p class="note">STUN or TURN servers that help devices on different networks find each other.</p>
        <label>
          <input
            type="checkbox"
            checked={alwaysRelay()}
            onChange={(e) => setAlwaysRelay(e.currentTarget.checked)}
          />
          Always relay (hide my IP address)
        </label>
        <p class="note">
          Live messages then always go through the signaling server’s relay, so contacts never learn this
          device’s network address. The server passes on encrypted frames it cannot read, and sees when and
          how much you send. Connections can be a little slower.
        </p>
        <button type="submit">Save settings</button>
        <Outcome note={note()} problem={problem()} />
      </form>

      <PrivacySettings />

      <NotificationSettings mailbox={app.mailbox} />

      <section aria-labelledby="storage-heading">
        <h3 id="storage-heading">Storage</h3>
        <p data-testid="storage-status">
          {app.state.persistence === 'unknown'
            ? 'Checking whether storage is persistent…'
            : persistenceText(app.state.persistence)}
        </p>
      </section>

      <Diagnostics />

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

/**
 * Read receipts and the typing indicator: saved and used at once. Both are mutual, as in Signal:
 * turned off here, this device neither sends them nor shows the contact's.
 */
function PrivacySettings() {
  const app = useApp();
  const [receipts, setReceipts] = createSignal(app.config.readReceipts !== false);
  const [typing, setTyping] = createSignal(app.config.typingIndicator !== false);
  const [note, setNote] = createSignal('');
  const save = (change: { readReceipts?: boolean; typingIndicator?: boolean }) => {
    Object.assign(app.config, change); // the messenger reads these on every use
    saveConfig(app.config);
    setNote('Saved.');
  };
  return (
    <section aria-labelledby="privacy-heading">
      <h3 id="privacy-heading">Privacy</h3>
      <label>
        <input
          type="checkbox"
          checked={receipts()}
          onChange={(e) => {
            setReceipts(e.currentTarget.checked);
            save({ readReceipts: e.currentTarget.checked });
          }}
        />
        Send read receipts
      </label>
      <p class="note">
        Your contacts see when you have read their messages. This is mutual: with it off, you don't see when
        they read yours either.
      </p>
      <label>
        <input
          type="checkbox"
          checked={typing()}
          onChange={(e) => {
            setTyping(e.currentTarget.checked);
            save({ typingIndicator: e.currentTarget.checked });
          }}
        />
        Show typing indicator
      </label>
      <p class="note">
        Your contacts see when you are typing to them. This is mutual too: with it off, you don't see when
        they are typing.
      </p>
      <Show when={note()}>
        <p role="status">{note()}</p>
      </Show>
    </section>
  );
}
