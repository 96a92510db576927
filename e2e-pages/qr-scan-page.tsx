/**
 * Test page for e2e/qr-scan.spec.ts: mounts the app's QrScanner as it is, lists each result
 * (also in `window.qrScanHarness.results`, and the raw bytes in `.bytes`) and keeps every camera stream it hands out so the
 * spec can check that the camera is off after a scan. The page runs under the app's strict CSP
 * (see qr-scan.html) and records anything it blocks. `?prefix=X` makes the scanner accept only
 * texts that start with X.
 */
import { render } from 'solid-js/web';
import { QrScanner } from '../src/ui/components/QrScanner';
import '../src/ui/styles.css';

export interface QrScanHarness {
  /** Texts handed to onResult, in order. */
  results: string[];
  /** Bytes handed to onBytes, in order, as hex. */
  bytes: string[];
  /** Where each result was read ('camera' or 'photo'), in order. */
  sources: string[];
  /** What the page's Content-Security-Policy blocked (directive and URL), if anything. */
  cspViolations: string[];
  /** Camera tracks handed to the page that are still live. */
  liveTracks(): number;
  /** Camera streams handed to the page so far. */
  streams(): number;
}

declare global {
  interface Window {
    qrScanHarness: QrScanHarness;
  }
}

const streams: MediaStream[] = [];
const devices = navigator.mediaDevices as MediaDevices | undefined;
if (devices) {
  const getUserMedia = devices.getUserMedia.bind(devices);
  devices.getUserMedia = async (constraints) => {
    const stream = await getUserMedia(constraints);
    streams.push(stream);
    return stream;
  };
}

const results: string[] = [];
const bytes: string[] = [];
const sources: string[] = [];
const cspViolations: string[] = [];
document.addEventListener('securitypolicyviolation', (e) => {
  cspViolations.push(`${e.effectiveDirective} ${e.blockedURI}`);
});
const list = document.getElementById('results')!;
const prefix = new URLSearchParams(location.search).get('prefix');

window.qrScanHarness = {
  results,
  bytes,
  sources,
  cspViolations,
  liveTracks: () => streams.flatMap((s) => s.getTracks()).filter((t) => t.readyState === 'live').length,
  streams: () => streams.length,
};

render(
  () => (
    <QrScanner
      label="Scan a QR code"
      {...(prefix === null ? {} : { accept: (text: string) => text.startsWith(prefix) })}
      onResult={(text, raw, source) => {
        results.push(text);
        sources.push(source);
        const shown = text === '' ? `(${raw.length} bytes that are not text)` : text;
        list.append(Object.assign(document.createElement('li'), { textContent: shown }));
      }}
      onBytes={(raw) => bytes.push(Array.from(raw, (b) => b.toString(16).padStart(2, '0')).join(''))}
    />
  ),
  document.getElementById('root')!,
);
