import { For, Show, createEffect, createSignal, createUniqueId, onCleanup } from 'solid-js';
import {
  inspectorFileName,
  type CandidateInfo,
  type Inspector as ProtocolInspector,
  type InspectorFrame,
  type PathInfo,
} from '../../app/inspector';
import { ROUTE_NAMES, routeOfPath } from '../../rtc/route-kind';
import type { SecurityEvent, SecurityEventKind } from '../../store/types';
import { formatTime, timeAttribute } from '../format-time';
import './Inspector.css';

const EVENT_LABELS: Record<SecurityEventKind, string> = {
  'verification-failed': 'Verification failed',
  paired: 'Paired',
  'key-changed': 'Key changed',
  'key-change-accepted': 'New key accepted',
  'verified-by-scan': 'Verified by scan',
  'verified-by-comparison': 'Verified by comparison',
  'verification-cleared': 'Verification cleared',
  'mac-failed': 'HMAC failed',
  'decrypt-failed': 'Decryption failed',
  'frame-refused': 'Frame refused',
  'possible-interception': 'Possible interception',
  'reconnect-resumed': 'Reconnecting resumed',
  'session-closed': 'Session closed',
  'key-refused': 'New key refused',
  'name-announced': 'Announced name changed',
  'name-set': 'Name set',
  'photo-matched': 'Picture matched',
  'verified-by-photo': 'Verified by picture',
  upgrade: 'Upgrade',
  'key-rotated': 'Keys replaced (signed)',
  'rotation-refused': 'Key rotation refused',
  'signing-key-pinned': 'Post-quantum key pinned',
  'ratchet-restarted': 'Message keys started afresh',
  'ratchet-refused': 'Message refused',
  'mailbox-refused': 'Mailbox message refused',
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
  if (c.address === undefined) return 'address hidden';
  return c.port === undefined ? c.address : `${c.address}:${c.port}`;
}

function pathSummary(p: PathInfo): string {
  const relay = p.local.relayProtocol ? ` (to the relay over ${p.local.relayProtocol})` : '';
  return `${p.local.type} ⇄ ${p.remote.type}, ${p.local.protocol}${relay}`;
}

/** An empty cell for a header field the session did not report, read as "unknown". */
function Missing() {
  return (
    <>
      <span aria-hidden="true">—</span>
      <span class="inspector-sr-only">unknown</span>
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
          <Show when={f().timestamp} fallback={'0 (none)'}>
            {(ts) => <time datetime={timeAttribute(ts())}>{formatTime(ts(), 'precise')}</time>}
          </Show>
        </Show>
      </td>
      <td class="inspector-num">
        <Show when={f().length !== undefined} fallback={<Missing />}>
          {f().length}
        </Show>
        <span class="inspector-muted"> ({f().size} on the wire)</span>
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
      <h3 id={headingId}>Protocol inspector</h3>
      <dl class="inspector-facts">
        <dt>Protocol</dt>
        <dd>
          SecMsg {facts().protocolVersion}; this device is the {facts().role}; session {facts().state}
        </dd>
        <dt>Suite</dt>
        <dd>
          <code class="inspector-hex">{facts().suite}</code>
          <span class="inspector-muted">{facts().postQuantum}</span>
        </dd>
        <dt>Message keys</dt>
        <dd data-testid="inspector-ratchet">
          <Show when={facts().ratchet} fallback={<span>Double Ratchet: not started yet.</span>}>
            {(r) => (
              <>
                <span>
                  Double Ratchet: {r().dhSteps} DH steps, {r().kemSteps} of them with ML-KEM-1024; sending
                  chain at message {r().sendIndex}, receiving chain at {r().receiveIndex};{' '}
                  {r().skippedKeys === 1 ? '1 skipped key' : `${r().skippedKeys} skipped keys`} held
                </span>
                <span class="inspector-muted">
                  Ratchet id <code class="inspector-hex">{r().id}</code>
                </span>
              </>
            )}
          </Show>
        </dd>
        <dt>DTLS fingerprint (mine)</dt>
        <dd>
          <code class="inspector-hex">{facts().localFingerprint}</code>
        </dd>
        <dt>DTLS fingerprint (theirs)</dt>
        <dd>
          <code class="inspector-hex">{facts().remoteFingerprint}</code>
        </dd>
        <dt>Handshake hash</dt>
        <dd>
          <code class="inspector-hex">{facts().handshakeHash}</code>
        </dd>
        <dt>Route</dt>
        <dd data-testid="inspector-route">
          <Show
            when={path()}
            fallback={<span>{checkingPath() ? 'Checking…' : 'Not known on this connection.'}</span>}
          >
            {(p) => <span>{ROUTE_NAMES[routeOfPath(p())]}</span>}
          </Show>
        </dd>
        <dt>Path</dt>
        <dd>
          <Show
            when={path()}
            fallback={<span>{checkingPath() ? 'Checking…' : 'Not known on this connection.'}</span>}
          >
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
            Check the path again
          </button>
        </dd>
        <dt>Capabilities</dt>
        <dd>
          <span>
            In use: {capabilities().common.length > 0 ? capabilities().common.join(', ') : 'none in common'}
          </span>
          <Show when={onlyOurs().length > 0}>
            <span class="inspector-muted">Only this device: {onlyOurs().join(', ')}</span>
          </Show>
          <Show when={onlyTheirs().length > 0}>
            <span class="inspector-muted">Only theirs: {onlyTheirs().join(', ')}</span>
          </Show>
        </dd>
      </dl>

      <div
        class="inspector-table-wrap"
        tabindex="0"
        role="region"
        aria-label="Recent frames (scrolls sideways)"
      >
        <table class="inspector-frames">
          <caption>Recent frames</caption>
          <thead>
            <tr>
              <th scope="col">Direction</th>
              <th scope="col">Type</th>
              <th scope="col">Flags</th>
              <th scope="col">Seq</th>
              <th scope="col">Timestamp</th>
              <th scope="col">Length</th>
              <th scope="col">HMAC</th>
              <th scope="col">AES-GCM</th>
              <th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            <For
              each={newestFirst()}
              fallback={
                <tr>
                  <td colSpan={9}>No frames yet.</td>
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
          Export frame log (JSON)
        </button>
      </p>
      <p class="inspector-muted">
        The file holds frame headers, check results and the session facts above: no message text, no keys and
        no network addresses.
      </p>

      <h4>Security events</h4>
      <ul class="inspector-events" aria-label="Security events">
        <For each={events()} fallback={<li>No security events for this contact.</li>}>
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
