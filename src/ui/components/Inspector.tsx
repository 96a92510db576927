import { For, Show, createEffect, createSignal, createUniqueId, onCleanup } from 'solid-js';
import {
  inspectorFileName,
  type CandidateInfo,
  type Inspector as ProtocolInspector,
  type InspectorFrame,
  type PathInfo,
} from '../../app/inspector';
import { ROUTE_NAMES, routeOfPath } from '../../rtc/route-kind';
import type { SecurityEvent, SecurityEventKind } from '../../store/security-event-types';
import { formatTime, timeAttribute } from '../format-time';
import * as text from '../strings/inspector';
import './Inspector.css';

const EVENT_LABELS: Record<SecurityEventKind, string> = {
  'verification-failed': text.verificationFailed,
  paired: text.paired,
  'key-changed': text.keyChanged,
  'key-change-accepted': text.keyChangeAccepted,
  'verified-by-scan': text.verifiedByScan,
  'verified-by-code': text.verifiedByCode,
  'verified-by-comparison': text.verifiedByComparison,
  'verification-cleared': text.verificationCleared,
  'mac-failed': text.macFailed,
  'decrypt-failed': text.decryptFailed,
  'frame-refused': text.frameRefused,
  'possible-interception': text.possibleInterception,
  'reconnect-resumed': text.reconnectResumed,
  'session-closed': text.sessionClosed,
  'key-refused': text.keyRefused,
  'name-announced': text.nameAnnounced,
  'name-set': text.nameSet,
  'photo-matched': text.photoMatched,
  'verified-by-photo': text.verifiedByPhoto,
  upgrade: text.upgrade,
  'key-rotated': text.keyRotated,
  'rotation-refused': text.rotationRefused,
  'signing-key-pinned': text.signingKeyPinned,
  'ratchet-restarted': text.ratchetRestarted,
  'ratchet-refused': text.ratchetRefused,
  'mailbox-refused': text.mailboxRefused,
};

/** Kinds that mean something went wrong or trust went down; shown with a warning mark. */
const WARNING_KINDS: ReadonlySet<SecurityEventKind> = new Set<SecurityEventKind>([
  'key-changed',
  'verification-cleared',
  'verification-failed',
  'mac-failed',
  'decrypt-failed',
  'frame-refused',
  'possible-interception',
  'session-closed',
  'name-announced',
  'rotation-refused',
  'ratchet-refused',
  'mailbox-refused',
]);

/** How long the Blob URL of an export lives after its download starts. */
const REVOKE_AFTER_MS = 1_000;

const hex2 = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

function endpoint(c: CandidateInfo): string {
  if (c.address === undefined) return text.addressHidden;
  return c.port === undefined ? c.address : `${c.address}:${c.port}`;
}

function pathSummary(p: PathInfo): string {
  return text.pathSummary(p.local.type, p.remote.type, p.local.protocol, p.local.relayProtocol);
}

/** An empty cell for a header field the session did not report, read as "unknown". */
function Missing() {
  return (
    <>
      <span aria-hidden="true">—</span>
      <span class="inspector-sr-only">{text.unknown}</span>
    </>
  );
}

function checkClass(value: string): string {
  if (value === 'failed') return 'inspector-failed';
  if (value === 'ok' || value === 'sealed') return 'inspector-ok';
  return 'inspector-muted';
}

function FrameRow(props: { frame: InspectorFrame }) {
  const f = () => props.frame;
  return (
    <tr classList={{ 'inspector-refused': f().result !== 'ok' }}>
      <td>
        <span aria-hidden="true">{f().direction === 'in' ? '← ' : '→ '}</span>
        {f().direction}
      </td>
      <td>{f().type}</td>
      <td class="inspector-num">
        <Show when={f().flags !== undefined} fallback={<Missing />}>
          {hex2(f().flags ?? 0)}
        </Show>
      </td>
      <td class="inspector-num">
        <Show when={f().sequence !== undefined} fallback={<Missing />}>
          {f().sequence}
        </Show>
      </td>
      <td class="inspector-num">
        <Show when={f().timestamp !== undefined} fallback={<Missing />}>
          <Show when={f().timestamp} fallback={text.noTimestamp}>
            {(ts) => <time datetime={timeAttribute(ts())}>{formatTime(ts(), 'precise')}</time>}
          </Show>
        </Show>
      </td>
      <td class="inspector-num">
        <Show when={f().length !== undefined} fallback={<Missing />}>
          {f().length}
        </Show>
        <span class="inspector-muted">{text.onTheWire(f().size)}</span>
      </td>
      <td class={checkClass(f().hmac)}>{f().hmac}</td>
      <td class={checkClass(f().aead)}>{f().aead}</td>
      <td>
        <span class={f().result === 'ok' ? 'inspector-ok' : 'inspector-failed'}>{f().result}</span>
        <Show when={f().problem}>{(problem) => <span class="inspector-problem">{problem()}</span>}</Show>
      </td>
    </tr>
  );
}

/**
 * The protocol inspector of one conversation: the session facts, the recent frames both ways
 * with what each check made of them, the contact's security events, and an export of the log.
 */
export function Inspector(props: { inspector: ProtocolInspector; events: readonly SecurityEvent[] }) {
  const id = createUniqueId();
  const headingId = `inspector-heading-${id}`;
  const [frames, setFrames] = createSignal<readonly InspectorFrame[]>([]);
  const [facts, setFacts] = createSignal(props.inspector.session());
  const [path, setPath] = createSignal<PathInfo | undefined>();
  const [checkingPath, setCheckingPath] = createSignal(false);

  const checkPath = async (inspector: ProtocolInspector): Promise<void> => {
    setCheckingPath(true);
    try {
      const found = await inspector.path();
      if (inspector === props.inspector) setPath(found);
    } finally {
      if (inspector === props.inspector) setCheckingPath(false);
    }
  };

  createEffect(() => {
    const inspector = props.inspector;
    const refresh = (): void => {
      setFrames(inspector.frames());
      setFacts(inspector.session());
    };
    // A burst of frames (a file, a backlog) redraws once per animation frame, not once each.
    let scheduled = 0;
    const schedule = (): void => {
      if (scheduled === 0)
        scheduled = requestAnimationFrame(() => {
          scheduled = 0;
          refresh();
        });
    };
    refresh();
    setPath(undefined);
    const unsubscribe = inspector.subscribe(schedule);
    onCleanup(() => {
      unsubscribe();
      if (scheduled !== 0) cancelAnimationFrame(scheduled);
    });
    void checkPath(inspector);
  });

  const newestFirst = () => [...frames()].reverse();
  const events = () => [...props.events].sort((a, b) => b.at - a.at);
  const capabilities = () => facts().capabilities;
  const onlyOurs = () => capabilities().ours.filter((c) => !capabilities().theirs.includes(c));
  const onlyTheirs = () => capabilities().theirs.filter((c) => !capabilities().ours.includes(c));

  const exportLog = (): void => {
    const blob = new Blob([props.inspector.exportJson()], { type: 'application/json' });
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = inspectorFileName(new Date());
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
  };

  return (
    <section class="inspector" aria-labelledby={headingId}>
      <h3 id={headingId}>{text.heading}</h3>
      <dl class="inspector-facts">
        <dt>{text.protocol}</dt>
        <dd>{text.protocolFacts(facts().protocolVersion, facts().role, facts().state)}</dd>
        <dt>{text.suite}</dt>
        <dd>
          <code class="inspector-hex">{facts().suite}</code>
          <span class="inspector-muted">{facts().postQuantum}</span>
        </dd>
        <dt>{text.messageKeys}</dt>
        <dd data-testid="inspector-ratchet">
          <Show when={facts().ratchet} fallback={<span>{text.ratchetNotStarted}</span>}>
            {(r) => (
              <>
                <span>
                  {text.ratchetFacts(
                    r().dhSteps,
                    r().kemSteps,
                    r().sendIndex,
                    r().receiveIndex,
                    r().skippedKeys,
                  )}
                </span>
                <span class="inspector-muted">
                  {text.ratchetId} <code class="inspector-hex">{r().id}</code>
                </span>
              </>
            )}
          </Show>
        </dd>
        <dt>{text.localFingerprint}</dt>
        <dd>
          <code class="inspector-hex">{facts().localFingerprint}</code>
        </dd>
        <dt>{text.remoteFingerprint}</dt>
        <dd>
          <code class="inspector-hex">{facts().remoteFingerprint}</code>
        </dd>
        <dt>{text.handshakeHash}</dt>
        <dd>
          <code class="inspector-hex">{facts().handshakeHash}</code>
        </dd>
        <dt>{text.route}</dt>
        <dd data-testid="inspector-route">
          <Show when={path()} fallback={<span>{checkingPath() ? text.checking : text.pathUnknown}</span>}>
            {(p) => <span>{ROUTE_NAMES[routeOfPath(p())]}</span>}
          </Show>
        </dd>
        <dt>{text.path}</dt>
        <dd>
          <Show when={path()} fallback={<span>{checkingPath() ? text.checking : text.pathUnknown}</span>}>
            {(p) => (
              <>
                <span>{pathSummary(p())}</span>
                <span class="inspector-hex inspector-endpoints">
                  {endpoint(p().local)} ⇄ {endpoint(p().remote)}
                </span>
              </>
            )}
          </Show>
          <button
            type="button"
            class="inspector-small-button"
            disabled={checkingPath()}
            onClick={() => void checkPath(props.inspector)}
          >
            {text.checkPathAgain}
          </button>
        </dd>
        <dt>{text.capabilities}</dt>
        <dd>
          <span>{text.inUse(capabilities().common)}</span>
          <Show when={onlyOurs().length > 0}>
            <span class="inspector-muted">{text.onlyThisDevice(onlyOurs())}</span>
          </Show>
          <Show when={onlyTheirs().length > 0}>
            <span class="inspector-muted">{text.onlyTheirs(onlyTheirs())}</span>
          </Show>
        </dd>
      </dl>

      <div class="inspector-table-wrap" tabindex="0" role="region" aria-label={text.framesRegion}>
        <table class="inspector-frames">
          <caption>{text.recentFrames}</caption>
          <thead>
            <tr>
              <th scope="col">{text.direction}</th>
              <th scope="col">{text.type}</th>
              <th scope="col">{text.flags}</th>
              <th scope="col">{text.sequence}</th>
              <th scope="col">{text.timestamp}</th>
              <th scope="col">{text.length}</th>
              <th scope="col">{text.hmac}</th>
              <th scope="col">{text.aead}</th>
              <th scope="col">{text.result}</th>
            </tr>
          </thead>
          <tbody>
            <For
              each={newestFirst()}
              fallback={
                <tr>
                  <td colSpan={9}>{text.noFrames}</td>
                </tr>
              }
            >
              {(frame) => <FrameRow frame={frame} />}
            </For>
          </tbody>
        </table>
      </div>

      <p>
        <button type="button" onClick={exportLog}>
          {text.exportLog}
        </button>
      </p>
      <p class="inspector-muted">{text.exportHolds}</p>

      <h4>{text.securityEvents}</h4>
      <ul class="inspector-events" aria-label={text.securityEvents}>
        <For each={events()} fallback={<li>{text.noSecurityEvents}</li>}>
          {(event) => (
            <li classList={{ 'inspector-event-warning': WARNING_KINDS.has(event.kind) }}>
              <time datetime={timeAttribute(event.at)}>{formatTime(event.at)}</time>
              <strong> {EVENT_LABELS[event.kind]}: </strong>
              <span>{event.detail}</span>
            </li>
          )}
        </For>
      </ul>
    </section>
  );
}
