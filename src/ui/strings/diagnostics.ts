/** The words of Settings → Diagnostics, the self-test of the secure session core (Diagnostics.tsx). */
export const heading = 'Diagnostics';
export const checking = 'Checking the secure session core…';
export const works = (handshakeMs: number, backend: string): string =>
  `Secure session core works: handshake in ${handshakeMs.toFixed(1)} ms, X25519 via ${backend === 'webcrypto' ? 'WebCrypto' : '@noble/curves'}.`;
export const mismatch = 'The self-test failed: the message or the safety numbers did not match.';
export const failed = (reason: string | undefined): string =>
  `The self-test failed: ${reason ?? 'unknown error'}`;
export const about =
  'Two sessions on this device run the full handshake, exchange a message and compare safety numbers, without the network: this shows that the encryption works in this browser.';
