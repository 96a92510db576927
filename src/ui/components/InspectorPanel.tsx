import { Show } from 'solid-js';
import type { SecurityEvent } from '../../store/security-event-types';
import { useApp } from '../app-context';
import * as text from '../strings/inspector';
import { Inspector } from './Inspector';

/** The protocol inspector of the contact's current (or last) session in this page's lifetime. */
export function InspectorPanel(props: { contactId: string; events: readonly SecurityEvent[] }) {
  const app = useApp();
  const live = () => app.messenger()?.live(props.contactId);
  return (
    <Show
      when={live()}
      fallback={
        <section aria-labelledby="inspector-empty-heading" class="inspector-empty">
          <h3 id="inspector-empty-heading">{text.heading}</h3>
          <p>{text.noSession}</p>
        </section>
      }
    >
      {(l) => <Inspector inspector={l().inspector} events={props.events} />}
    </Show>
  );
}
