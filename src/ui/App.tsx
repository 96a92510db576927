import { PROTOCOL_VERSION_LABEL } from '../protocol/version';

/** Placeholder page until the pairing and chat screens land (issues 3 and 4). */
export function App() {
  return (
    <main>
      <h1>SecMsg</h1>
      <p>Private two-person chat straight from the browser. Protocol {PROTOCOL_VERSION_LABEL}.</p>
      <p>Pairing and chat are coming next; this build contains the secure session core.</p>
    </main>
  );
}
