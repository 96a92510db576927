import { Match, Show, Switch, createEffect, createSignal, on, onCleanup } from 'solid-js';
import {
  isInviteLink,
  joinManual,
  joinWorkerInvite,
  startManualInvite,
  startWorkerInvite,
  type Connected,
} from '../../app/connect';
import type { PairingMethod } from '../../app/messenger';
import { joinShortCode, startShortCode, type ShortCodeProgress } from '../../app/short-code-pairing';
import { useApp } from '../app-context';
import { AddByUsername } from '../components/AddByUsername';
import { ContactRequests } from '../components/ContactRequests';
import { CopyButton } from '../components/CopyButton';
import { QrCode } from '../components/QrCode';
import { QrScanner, type QrSource } from '../components/QrScanner';
import { ShortCodeForm } from '../components/ShortCodeForm';
import { errorText } from '../errors';
import * as text from '../strings/pairing';
import * as codeText from '../strings/short-code';

type Step =
  | { kind: 'choose' }
  | { kind: 'worker-invite'; link: string }
  | { kind: 'manual-invite'; code: string; accept: (answer: string) => void }
  | { kind: 'manual-join'; answer: string }
  | { kind: 'short-code'; code: string; progress: ShortCodeProgress }
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
  // A step's buttons go with it: the focus goes to the heading rather than the top of the page.
  let heading: HTMLHeadingElement | undefined;
  createEffect(
    on(
      step,
      () => {
        if (document.activeElement === document.body) heading?.focus();
      },
      { defer: true },
    ),
  );

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
      setStep({ kind: 'waiting', what: text.preparingInviteCode });
      const code = await invite.code;
      setStep({ kind: 'manual-invite', code, accept: (a) => invite.acceptAnswer(a) });
      finish(invite.connected, 'invite-code');
    } catch (e) {
      fail(e);
    }
  };

  const PROGRESS_TEXT: Record<ShortCodeProgress, string> = {
    waiting: codeText.waiting,
    comparing: codeText.comparing,
    connecting: codeText.connecting,
  };

  /** Makes a short code to read out, and pairs with whoever types it. */
  const makeShortCode = async () => {
    begin();
    try {
      setStep({ kind: 'waiting', what: codeText.gettingCode });
      let code = '';
      const pairing = startShortCode(await identity(), config, (progress) => {
        if (code) setStep({ kind: 'short-code', code, progress });
      });
      cancel = () => pairing.cancel();
      finish(pairing.connected, 'short-code');
      code = await pairing.code;
      setStep({ kind: 'short-code', code, progress: 'waiting' });
    } catch (e) {
      fail(e);
    }
  };

  const typeShortCode = async (typed: string) => {
    begin();
    try {
      const pairing = joinShortCode(typed, await identity(), config, (progress) =>
        setStep({ kind: 'waiting', what: PROGRESS_TEXT[progress] }),
      );
      cancel = () => pairing.cancel();
      finish(pairing.connected, 'short-code');
    } catch (e) {
      fail(e);
    }
  };

  /** How the invite came: by camera, from a picture, or pasted / opened as a link. */
  const join = async (invite: string, scanned: QrSource | undefined) => {
    begin();
    try {
      const me = await identity();
      if (isInviteLink(invite)) {
        const pairing = joinWorkerInvite(invite, me, config);
        cancel = () => pairing.cancel();
        setStep({ kind: 'waiting', what: text.connectingToInviter });
        finish(
          pairing.connected,
          scanned === 'camera' ? 'camera-invite' : scanned === 'photo' ? 'photo-invite' : 'invite-link',
        );
        return;
      }
      const pairing = joinManual(invite, me, config);
      cancel = () => pairing.cancel();
      setStep({ kind: 'waiting', what: text.preparingAnswerCode });
      const code = await pairing.answerCode;
      setStep({ kind: 'manual-join', answer: code });
      finish(pairing.connected, 'invite-code');
    } catch (e) {
      fail(e);
    }
  };

  return (
    <section aria-labelledby="pair-heading">
      <h2 id="pair-heading" tabindex="-1" ref={(el) => (heading = el)}>
        {text.heading}
      </h2>
      <Show when={step().kind !== 'choose'}>
        <button
          type="button"
          onClick={() => {
            cancel?.();
            cancel = undefined;
            setStep({ kind: 'choose' });
          }}
        >
          {text.cancelPairing}
        </button>
      </Show>
      <Show when={error()}>
        <p role="alert">{error()}</p>
      </Show>
      <Switch>
        <Match when={step().kind === 'choose'}>
          <Show when={props.invite}>
            <p role="status">{text.openedInvite}</p>
          </Show>
          <ContactRequests />
          <h3>{text.inviteHeading}</h3>
          <div class="choices">
            <button type="button" onClick={() => void inviteWithLink()} disabled={!config.signalingUrl}>
              {text.createInviteLink}
            </button>
            <button type="button" onClick={() => void inviteWithCode()}>
              {text.createInviteCode}
            </button>
          </div>
          <Show when={!config.signalingUrl}>
            <p class="note">{text.linksNeedServer}</p>
          </Show>
          <h3>{text.joinHeading}</h3>
          <QrScanner
            label={text.scanInvite}
            accept={looksLikeInvite}
            onResult={(scannedInvite, _bytes, source) => {
              setPasted(scannedInvite);
              void join(scannedInvite, source);
            }}
          />
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void join(pasted(), undefined);
            }}
          >
            <label>
              {text.pasteInvite}
              <textarea value={pasted()} onInput={(e) => setPasted(e.currentTarget.value)} rows={3} />
            </label>
            <button type="submit">{text.join}</button>
          </form>
          <h3>{codeText.heading}</h3>
          <p class="note">{config.signalingUrl ? codeText.explain : codeText.needsServer}</p>
          <button type="button" onClick={() => void makeShortCode()} disabled={!config.signalingUrl}>
            {codeText.makeCode}
          </button>
          <ShortCodeForm disabled={!config.signalingUrl} onSubmit={(typed) => void typeShortCode(typed)} />
          <Show when={config.signalingUrl}>
            <AddByUsername />
          </Show>
        </Match>
        <Match when={step().kind === 'short-code' && (step() as Extract<Step, { kind: 'short-code' }>)}>
          {(s) => (
            <>
              <p>{codeText.readOut}</p>
              <p class="short-code" aria-label={codeText.codeLabel} data-testid="short-code">
                {s().code}
              </p>
              <p role="status">{PROGRESS_TEXT[s().progress]}</p>
            </>
          )}
        </Match>
        <Match when={step().kind === 'waiting' && (step() as { what: string }).what}>
          {(what) => <p role="status">{what()}</p>}
        </Match>
        <Match when={step().kind === 'worker-invite' && (step() as { link: string }).link}>
          {(link) => (
            <>
              <p>{text.showLink}</p>
              <QrCode text={link()} label={text.linkQr} />
              <label>
                {text.inviteLink}
                <input readOnly value={link()} data-testid="invite-link" />
              </label>
              <CopyButton text={link()} label={text.copyLink} />
              <p role="status">{text.waitingForLink}</p>
            </>
          )}
        </Match>
        <Match when={step().kind === 'manual-invite' && (step() as Extract<Step, { kind: 'manual-invite' }>)}>
          {(s) => (
            <>
              <p>{text.showCode}</p>
              <QrCode text={s().code} label={text.codeQr} />
              <label>
                {text.inviteCode}
                <textarea readOnly value={s().code} rows={3} data-testid="invite-code" />
              </label>
              <CopyButton text={s().code} label={text.copyCode} />
              <QrScanner
                label={text.scanAnswer}
                accept={looksLikeInvite}
                onResult={(scannedAnswer) => {
                  setAnswer(scannedAnswer);
                  try {
                    s().accept(scannedAnswer);
                    setStep({ kind: 'waiting', what: text.connecting });
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
                    setStep({ kind: 'waiting', what: text.connecting });
                  } catch (err) {
                    setError(errorText(err));
                  }
                }}
              >
                <label>
                  {text.pasteAnswer}
                  <textarea value={answer()} onInput={(e) => setAnswer(e.currentTarget.value)} rows={3} />
                </label>
                <button type="submit">{text.connect}</button>
              </form>
            </>
          )}
        </Match>
        <Match when={step().kind === 'manual-join' && (step() as { answer: string }).answer}>
          {(code) => (
            <>
              <p>{text.showAnswer}</p>
              <QrCode text={code()} label={text.answerQr} />
              <label>
                {text.answerCode}
                <textarea readOnly value={code()} rows={3} data-testid="answer-code" />
              </label>
              <CopyButton text={code()} label={text.copyAnswer} />
              <p role="status">{text.waitingForPaste}</p>
            </>
          )}
        </Match>
      </Switch>
    </section>
  );
}
