import { Show, createSignal, onCleanup } from 'solid-js';
import {
  type NotificationSettings as Choices,
  loadNotificationSettings,
  saveNotificationSettings,
} from '../../app/feature-settings';
import type { MailboxClient } from '../../app/mailbox-client';
import {
  askNotificationPermission,
  notificationPermission,
  onPermissionChange,
} from '../../app/notification-display';
import { notificationState } from '../../app/notifications';
import { type WakeUpState, disableWakeUps, enableWakeUps, wakeUpState } from '../../app/wake-ups';
import { useApp } from '../app-context';
import { errorText } from '../errors';
import * as text from '../strings/notifications';

/**
 * Settings → Notifications: while SecMsg is open but hidden (notifications.ts), whether the
 * message's text shows in them; and, with a signaling server, wake-ups while it is closed. The
 * browser's permission is asked only when the person presses "Turn on notifications".
 */
export function NotificationSettings(props: { mailbox: (() => Promise<MailboxClient>) | undefined }) {
  const [permission, setPermission] = createSignal(notificationPermission());
  const [choices, setChoices] = createSignal(loadNotificationSettings());
  const [note, setNote] = createSignal('');
  const [asking, setAsking] = createSignal(false);
  const state = () => notificationState(permission(), choices());
  onCleanup(onPermissionChange(() => setPermission(notificationPermission())));

  const save = (change: Partial<Choices>) => {
    const next = { ...choices(), ...change };
    saveNotificationSettings(next);
    setChoices(next);
  };
  const turnOn = async () => {
    setNote('');
    setAsking(true);
    try {
      const answer = await askNotificationPermission(); // at once when it was given before
      setPermission(answer);
      if (answer === 'granted') save({ enabled: true });
      else if (answer === 'default') setNote(text.noAnswer);
    } catch (err) {
      setNote(errorText(err));
    } finally {
      setAsking(false);
    }
  };

  return (
    <section aria-labelledby="notifications-heading">
      <h3 id="notifications-heading">{text.heading}</h3>
      <p>{text.about}</p>
      <Show when={state() !== 'unsupported'} fallback={<p>{text.unsupported}</p>}>
        <p role="status" data-testid="notification-state">
          {state() === 'on' ? text.on : state() === 'blocked' ? text.blocked : text.off}
        </p>
        <Show when={state() === 'blocked'}>
          <p class="note">{text.whatToDoBlocked}</p>
        </Show>
        <Show
          when={state() === 'on'}
          fallback={
            <button type="button" disabled={asking() || state() === 'blocked'} onClick={() => void turnOn()}>
              {text.turnOn}
            </button>
          }
        >
          <button type="button" onClick={() => save({ enabled: false })}>
            {text.turnOff}
          </button>
        </Show>
        <label>
          <input
            type="checkbox"
            checked={choices().previews}
            onChange={(e) => save({ previews: e.currentTarget.checked })}
          />
          {text.previews}
        </label>
        <p class="note">{text.previewsNote}</p>
      </Show>
      <Show when={note()}>
        <p role="status">{note()}</p>
      </Show>
      <Show when={props.mailbox}>{(mailbox) => <WakeUpSettings mailbox={mailbox()} />}</Show>
    </section>
  );
}

/** Wake-ups while SecMsg is closed (opt-in), and what they reveal. */
function WakeUpSettings(props: { mailbox: () => Promise<MailboxClient> }) {
  const app = useApp();
  const [state, setState] = createSignal<WakeUpState>(wakeUpState());
  const [note, setNote] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const toggle = async () => {
    const messenger = app.messenger();
    if (!messenger) return;
    setBusy(true);
    setNote('');
    try {
      if (state() === 'on') {
        await disableWakeUps(messenger);
        setNote(text.wakeUpsOff);
      } else {
        await enableWakeUps(messenger, await props.mailbox());
        setNote(text.wakeUpsOn);
      }
    } catch (err) {
      setNote(errorText(err));
    } finally {
      setState(wakeUpState());
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="wake-ups-heading">
      <h4 id="wake-ups-heading">{text.wakeUpsHeading}</h4>
      <p>{text.wakeUpsAbout}</p>
      <p>{text.wakeUpsReveals}</p>
      <Show when={state() !== 'unsupported'} fallback={<p>{text.wakeUpsUnsupported}</p>}>
        <p data-testid="wake-up-state">
          {state() === 'on' ? text.wakeUpsOn : state() === 'blocked' ? text.wakeUpsBlocked : text.wakeUpsOff}
        </p>
        <button type="button" disabled={busy() || state() === 'blocked'} onClick={() => void toggle()}>
          {state() === 'on' ? text.turnOffWakeUps : text.turnOnWakeUps}
        </button>
      </Show>
      <Show when={note()}>
        <p role="status">{note()}</p>
      </Show>
    </section>
  );
}
