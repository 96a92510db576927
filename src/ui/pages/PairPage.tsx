import { Match, Show, Switch, createSignal, onCleanup, onMount } from 'solid-js';
import type { AppConfig } from '../../app/config';
import {
  isInviteLink,
  joinManual,
  joinWorkerInvite,
  startManualInvite,
  startWorkerInvite,
  type Connected,
} from '../../app/connect';
import type { SessionIdentity } from '../../protocol/session';
import { errorText } from '../errors';
import { QrCode } from './QrCode';

type Step =
  | { kind: 'choose' }
  | { kind: 'worker-invite'; link: string }
  | { kind: 'manual-invite'; code: string; accept: (answer: string) => void }
  | { kind: 'manual-join'; answer: string }
  | { kind: 'waiting'; what: string };

/** Create an invite (link through the worker, or a code with no server) or join one. */
export function Pairing(props: {
  identity: () => Promise<SessionIdentity>;
  config: AppConfig;
  onConnected: (c: Connected) => void;
}) {
  const [step, setStep] = createSignal<Step>({ kind: 'choose' });
  const [error, setError] = createSignal('');
  const [pasted, setPasted] = createSignal('');
  const [answer, setAnswer] = createSignal('');
  const [openedInvite, setOpenedInvite] = createSignal(false);
  let cancel: (() => void) | undefined;
  onCleanup(() => cancel?.());

  const fail = (e: unknown) => {
    cancel?.();
    cancel = undefined;
    setError(errorText(e));
    setStep({ kind: 'choose' });
  };
  const finish = (p: Promise<Connected>) => {
    p.then((c) => {
      cancel = undefined;
      props.onConnected(c);
    }, fail);
  };
  const begin = () => {
    setError('');
    cancel?.();
  };

  const inviteWithLink = async () => {
    begin();
    try {
      const appUrl = location.href.split('#')[0]!;
      const invite = await startWorkerInvite(await props.identity(), props.config, appUrl);
      cancel = () => invite.cancel();
      setStep({ kind: 'worker-invite', link: invite.link });
      finish(invite.connected);
    } catch (e) {
      fail(e);
    }
  };

  const inviteWithCode = async () => {
    begin();
    try {
      const invite = startManualInvite(await props.identity(), props.config);
      cancel = () => invite.cancel();
      setStep({ kind: 'waiting', what: 'Preparing your invite code…' });
      const code = await invite.code;
      setStep({ kind: 'manual-invite', code, accept: (a) => invite.acceptAnswer(a) });
      finish(invite.connected);
    } catch (e) {
      fail(e);
    }
  };

  const join = async (text: string) => {
    begin();
    try {
      const identity = await props.identity();
      if (isInviteLink(text)) {
        const pairing = joinWorkerInvite(text, identity, props.config);
        cancel = () => pairing.cancel();
        setStep({ kind: 'waiting', what: 'Connecting to the person who invited you…' });
        finish(pairing.connected);
        return;
      }
      const pairing = joinManual(text, identity, props.config);
      cancel = () => pairing.cancel();
      setStep({ kind: 'waiting', what: 'Preparing your answer code…' });
      const code = await pairing.answerCode;
      setStep({ kind: 'manual-join', answer: code });
      finish(pairing.connected);
    } catch (e) {
      fail(e);
    }
  };

  // An opened invite link fills the join box; the person adds a name and presses Join.
  const takeInviteFromAddress = () => {
    if (!isInviteLink(location.hash)) return;
    setPasted(location.href);
    history.replaceState(null, '', location.pathname + location.search); // the secret leaves the address bar
    setStep({ kind: 'choose' });
    setOpenedInvite(true);
  };
  onMount(() => {
    takeInviteFromAddress();
    window.addEventListener('hashchange', takeInviteFromAddress);
    onCleanup(() => window.removeEventListener('hashchange', takeInviteFromAddress));
  });

  return (
    <section aria-labelledby="pair-heading">
      <h2 id="pair-heading">Pair with someone</h2>
      <Show when={error()}>
        <p role="alert">{error()}</p>
      </Show>
      <Switch>
        <Match when={step().kind === 'choose'}>
          <Show when={openedInvite()}>
            <p role="status">You opened an invite. Enter your name above and press Join.</p>
          </Show>
          <div class="choices">
            <button type="button" onClick={() => void inviteWithLink()} disabled={!props.config.signalingUrl}>
              Create invite link
            </button>
            <button type="button" onClick={() => void inviteWithCode()}>
              Create invite code (no server)
            </button>
          </div>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void join(pasted());
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
              <p role="status">Waiting for them to paste it…</p>
            </>
          )}
        </Match>
      </Switch>
    </section>
  );
}
