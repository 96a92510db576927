import { Show } from 'solid-js';
import type { SecurityEvent } from '../../store/types';
import { useApp } from '../app-context';
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
          <h3 id="inspector-empty-heading">Protocol inspector</h3>
          <p>No session with this contact since the app was opened: there are no frames to show yet.</p>
        </section>
      }
    >
      {(l) => <Inspector inspector={l().inspector} events={props.events} />}
    </Show>
  );
}
