import { For, Show, createSignal } from 'solid-js';
import type { MessageRoute, MessageState, StoredMessage } from '../../store/message-types';
import { formatTime, timeAttribute } from '../format-time';
import { toHex } from '../../crypto/bytes';
import * as text from '../strings/messages';
import { FileMessage } from './FileMessage';
import { MessageActions, Quote, Reactions, type MessageActionHandlers } from './MessageParts';

/** The words of each delivery mark: read by screen readers, and what tests and scripts look for. */
const STATE_TEXT: Record<MessageState, string> = {
  queued: text.queued,
  sent: text.sent,
  delivered: text.delivered,
};

/** How a message went, in words: said beside the time. */
const ROUTE_TEXT: Record<MessageRoute, string> = {
  direct: text.routeDirect,
  relayed: text.routeRelayed,
  mailbox: text.routeMailbox,
};

/**
 * One message of the history, as a list item: the day heading when it starts a day, the sender
 * when it starts a group (visually hidden for mine), the quoted message of a reply, the body (or a
 * tombstone; for a file, photo, video or voice note: FileMessage), reactions, and its time, route,
 * "edited" (which shows the earlier versions kept on this device), delivery mark (words visually
 * hidden) and "Read"; then its actions menu. `quoted` finds a reply's quoted message among those
 * the chat holds; `missingQuote` is said when it is not there.
 */
export function MessageBubble(props: {
  message: StoredMessage & { key: string };
  day: string | undefined;
  first: boolean;
  contactName: string;
  quoted: (id: string) => StoredMessage | undefined;
  missingQuote: string;
  actions: MessageActionHandlers | undefined;
}) {
  const m = () => props.message;
  const [showEdits, setShowEdits] = createSignal(false);
  return (
    <li data-message-id={m().key} classList={{ mine: m().direction === 'out', first: props.first }}>
      <Show when={props.day}>{(day) => <div class="day">{day()}</div>}</Show>
      <div class="bubble">
        <Show when={props.first}>
          <span classList={{ who: true, 'visually-hidden': m().direction === 'out' }}>
            {m().direction === 'out' ? text.you : props.contactName}
          </span>
        </Show>
        <Show when={m().replyTo && m().deletedAt === undefined ? m().replyTo : undefined}>
          {(to) => (
            <Quote
              quoted={props.quoted(toHex(to()))}
              contactName={props.contactName}
              missing={props.missingQuote}
            />
          )}
        </Show>
        <Show when={m().deletedAt === undefined} fallback={<p class="body tombstone">{text.deleted}</p>}>
          <Show when={m().file} fallback={<p class="body">{m().body}</p>}>
            {(file) => <FileMessage message={m()} file={file()} contactName={props.contactName} />}
          </Show>
        </Show>
        <Show when={showEdits() && m().deletedAt === undefined && m().edits}>
          {(edits) => (
            <div class="edit-history">
              <p>{text.earlierVersions}</p>
              <ol>
                <For each={edits()}>
                  {(e) => (
                    <li>
                      <time dateTime={timeAttribute(e.at)}>{formatTime(e.at)}</time> {e.body}
                    </li>
                  )}
                </For>
              </ol>
            </div>
          )}
        </Show>
        <Reactions message={m()} contactName={props.contactName} />
        <span class="meta">
          <Show when={m().editedAt !== undefined && m().deletedAt === undefined}>
            <Show when={(m().edits?.length ?? 0) > 0} fallback={<span class="edited">{text.edited}</span>}>
              <button
                type="button"
                class="edited"
                aria-expanded={showEdits()}
                aria-label={text.showEarlierVersions}
                onClick={() => setShowEdits((v) => !v)}
              >
                {text.edited}
              </button>
            </Show>
          </Show>
          <time dateTime={timeAttribute(m().sentAt)} title={formatTime(m().sentAt)}>
            {formatTime(m().sentAt, 'clock')}
          </time>
          <Show when={m().route}>
            {(route) => (
              <span class="route" data-route={route()}>
                {ROUTE_TEXT[route()]}
              </span>
            )}
          </Show>
          <Show when={m().direction === 'out'}>
            <span class="state" data-state={m().state}>
              <span class="visually-hidden">{STATE_TEXT[m().state]}</span>
            </span>
          </Show>
          <Show when={m().direction === 'out' && m().readAt !== undefined}>
            <span class="read-mark">{text.read}</span>
          </Show>
        </span>
      </div>
      <Show when={props.actions}>{(h) => <MessageActions message={m()} handlers={h()} />}</Show>
    </li>
  );
}
