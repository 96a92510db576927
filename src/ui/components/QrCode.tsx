import QRCode from 'qrcode';
import { Show, createResource } from 'solid-js';

/** A QR code of `text`, drawn locally (no network), with the text itself as its description. */
export function QrCode(props: { text: string; label: string }) {
  const [url] = createResource(
    () => props.text,
    async (text) => QRCode.toDataURL(text, { errorCorrectionLevel: 'L', margin: 2, scale: 4 }),
  );
  return (
    <Show when={url()} fallback={<p>Drawing the QR code…</p>}>
      {(src) => <img class="qr" src={src()} alt={props.label} />}
    </Show>
  );
}
