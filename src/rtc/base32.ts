/**
 * RFC 4648 §6 base32 without padding. Upper-case letters and digits 2–7 only: every character is
 * in a QR code's alphanumeric mode (5.5 bits a character instead of 8), survives a URL fragment
 * untouched, and reads aloud without case. Decoding ignores case; it never throws, and returns
 * null on a character outside the alphabet.
 */
export const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function encodeBase32(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    acc = ((acc << 8) | bytes[i]!) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(acc >> bits) & 31]!;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(acc << (5 - bits)) & 31]!;
  return out;
}

export interface Base32Decoded {
  bytes: Uint8Array;
  /** True when the bits left over after the last whole byte are all zero, as an encoder leaves them. */
  canonical: boolean;
}

export function decodeBase32(text: string): Base32Decoded | null {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const v = BASE32_ALPHABET.indexOf(text[i]!.toUpperCase());
    if (v < 0) return null;
    acc = ((acc << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  // A whole number of characters left over (more than 4 bits) cannot come from an encoder.
  const canonical = bits < 5 && (acc & ((1 << bits) - 1)) === 0;
  return { bytes: out, canonical };
}
