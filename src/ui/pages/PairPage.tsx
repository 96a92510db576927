import { Match, Show, Switch, createSignal, onCleanup } from 'solid-js';
import {
  isInviteLink,
  joinManual,
  joinWorkerInvite,
  startManualInvite,
  startWorkerInvite,
  type Connected,
} from '../../app/connect';
import type { PairingMethod } from '../../app/messenger';
import { useApp } from '../app-context';
import { CopyButton } from '../components/CopyButton';
import { QrCode } from '../components/QrCode';
import { QrScanner, type QrSource } from '../components/QrScanner';
import { errorText } from '../errors';

type Step =
  | { kind: 'choose' }
  | { kind: 'worker-invite'; link: string }
  | { kind: 'manual-invite'; code: string; accept: (answer: string) => void }
  | { kind: 'manual-join'; answer: string }
  | { kind: 'waiting'; what: string };

/** What a scanned or pasted text looks like to the pairing screen. */
function looksLikeInvite(text: string): boolean {
  const t = text.trim();
  return isInviteLink(t) || /^[A-Z2-7]{40,}$/i.test(t.replace(/[\s-]/g, ''));
}

/**
 * Pair with someone: show my invite (QR + link + copyable code), or join theirs by camera, photo,
 * pasted code or opened link. `invite` is an invite link the page was opened with.
 */
export function PairPage(props: { invite?: string }) {
  const app = useApp();
  const config = app.config;
  const identity = async () => {
    await Promise.resolve();
    const m = app.messenger();
    if (!m) throw new Error('The app is not ready yet.');
    return m.identity;
  };
  const [step, setStep] = createSignal<Step>({ kind: 'choose' });
  const [error, setError] = createSignal('');
  const [pasted, setPasted] = createSignal(props.invite ?? '');
  const [answer, setAnswer] = createSignal('');
  let cancel: (() => void) | undefined;
  onCleanup(() => cancel?.());

  const fail = (e: unknown) => {
    cancel?.();
    cancel = undefined;
    setError(errorText(e));
    setStep({ kind: 'choose' });
  };
  const finish = (p: Promise<Connected>, method: PairingMethod) => {
    p.then(async (c) => {
      cancel = undefined;
      await app.actions.adopt(c, method);
    }).catch(fail);
  };
  const begin = () => {
    setError('');
    cancel?.();
  };

  const inviteWithLink = async () => {
    begin();
    try {
      const appUrl = location.href.split('#')[0]!;
      const invite = startWorkerInvite(await identity(), config, appUrl);
      cancel = () => invite.cancel();
      setStep({ kind: 'worker-invite', link: invite.link });
      finish(invite.connected, 'invite-link');
    } catch (e) {
      fail(e);
    }
  };

  const inviteWithCode = async () => {
    begin();
    try {
      const invite = startManualInvite(await identity(), config);
      cancel = () => invite.cancel();
      setStep({ kind: 'waiting', what: 'Preparing your invite code…' });
      const code = await invite.code;
      setStep({ kind: 'manual-invite', code, accept: (a) => invite.acceptAnswer(a) });
      finish(invite.connected, 'invite-code');
    } catch (e) {
      fail(e);
    }
  };

  /** How the invite came: by camera, from a picture, or pasted / opened as a link. */
  const join = async (text: string, scanned: QrSource | undefined) => {
    begin();
    try {
      const me = await identity();
      if (isInviteLink(text)) {
        const pairing = joinWorkerInvite(text, me, config);
        cancel = () => pairing.cancel();
        setStep({ kind: 'waiting', what: 'Connecting to the person who invited you…' });
        finish(
          pairing.connected,
          scanned === 'camera' ? 'camera-invite' : scanned === 'photo' ? 'photo-invite' : 'invite-link',
        );
        return;
      }
      const pairing = joinManual(text, me, config);
      cancel = () => pairing.cancel();
      setStep({ kind: 'waiting', what: 'Preparing your answer code…' });
      const code = await pairing.answerCode;
      setStep({ kind: 'manual-join', answer: code });
      finish(pairing.connected, 'invite-code');
    } catch (e) {
      fail(e);
    }
  };

  return (
    <section aria-labelledby="pair-heading">
      <h2 id="pair-heading">Pair with someone</h2>
      <Show when={step().kind !== 'choose'}>
        <button
          type="button"
          onClick={() => {
            cancel?.();
            cancel = undefined;
            setStep({ kind: 'choose' });
          }}
        >
          Cancel pairing
        </button>
      </Show>
      <Show when={error()}>
        <p role="alert">{error()}</p>
      </Show>
      <Switch>
        <Match when={step().kind === 'choose'}>
          <Show when={props.invite}>
            <p role="status">You opened an invite. Press Join to connect.</p>
          </Show>
          <h3>Invite someone</h3>
          <div class="choices">
            <button type="button" onClick={() => void inviteWithLink()} disabled={!config.signalingUrl}>
              Create invite link
            </button>
            <button type="button" onClick={() => void inviteWithCode()}>
              Create invite code (no server)
            </button>
          </div>
          <Show when={!config.signalingUrl}>
            <p class="note">
              Invite links need a signaling server (set one in Settings); invite codes work without one.
            </p>
          </Show>
          <h3>Join someone</h3>
          <QrScanner
            label="Scan their invite"
            accept={looksLikeInvite}
            onResult={(text, _bytes, source) => {
              setPasted(text);
              void join(text, source);
            }}
          />
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void join(pasted(), undefined);
            }}
          >
            <label>
              Paste an invite code or link
              <textarea value={pasted()} onInput={(e) => setPasted(e.currentTarget.value)} rows={3} />
            </label>
            <button type="submit">Join</button>
          </form>
        </Match>
        <Match when={step().kind === 'waiting' && (step() as { what: string }).what}>
          {(what) => <p role="status">{what()}</p>}
        </Match>
        <Match when={step().kind === 'worker-invite' && (step() as { link: string }).link}>
          {(link) => (
            <>
              <p>Show this QR code to the other person, or send them the link. It works once.</p>
              <QrCode text={link()} label="QR code of the invite link" />
              <label>
                Invite link
                <input readOnly value={link()} data-testid="invite-link" />
              </label>
              <CopyButton text={link()} label="Copy link" />
              <p role="status">Waiting for the other person to open the link…</p>
            </>
          )}
        </Match>
        <Match when={step().kind === 'manual-invite' && (step() as Extract<Step, { kind: 'manual-invite' }>)}>
          {(s) => (
            <>
              <p>1. Show this code to the other person (scan or copy it).</p>
              <QrCode text={s().code} label="QR code of the invite code" />
              <label>
                Invite code
                <textarea readOnly value={s().code} rows={3} data-testid="invite-code" />
              </label>
              <CopyButton text={s().code} label="Copy code" />
              <QrScanner
                label="2. Scan their answer code"
                accept={looksLikeInvite}
                onResult={(text) => {
                  setAnswer(text);
                  try {
                    s().accept(text);
                    setStep({ kind: 'waiting', what: 'Connecting…' });
                  } catch (err) {
                    setError(errorText(err));
                  }
                }}
              />
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  try {
                    s().accept(answer());
                    setStep({ kind: 'waiting', what: 'Connecting…' });
                  } catch (err) {
                    setError(errorText(err));
                  }
                }}
              >
                <label>
                  2. Paste their answer code
                  <textarea value={answer()} onInput={(e) => setAnswer(e.currentTarget.value)} rows={3} />
                </label>
                <button type="submit">Connect</button>
              </form>
            </>
          )}
        </Match>
        <Match when={step().kind === 'manual-join' && (step() as { answer: string }).answer}>
          {(code) => (
            <>
              <p>Show this answer code to the person who invited you.</p>
              <QrCode text={code()} label="QR code of the answer code" />
              <label>
                Answer code
                <textarea readOnly value={code()} rows={3} data-testid="answer-code" />
              </label>
              <CopyButton text={code()} label="Copy answer code" />
              <p role="status">Waiting for them to paste it…</p>
            </>
          )}
        </Match>
      </Switch>
    </section>
  );
}
