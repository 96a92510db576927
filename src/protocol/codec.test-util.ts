/**
 * Test helpers for the codecs' tests (records, feature records, frames, the handshake payload):
 * what a call threw, that it threw a given ProtocolError, and the property that random bytes
 * either decode to what encodes back to the same bytes or are refused with one code only.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { ProtocolError } from './errors';

/** What `f` threw; undefined when it returned. */
export const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
};

export const expectCode = (f: () => unknown, code: ProtocolError['code']): void => {
  const e = thrown(f);
  expect(ProtocolError.is(e, code), `expected ProtocolError ${code}, got ${String(e)}`).toBe(true);
};

/**
 * Over 1000 runs of `bytes`: each one either decodes to a value that encodes back to exactly those
 * bytes, or throws ProtocolError `code`, never anything else.
 */
export function expectDecodesExactlyOrRefuses<T>(
  bytes: fc.Arbitrary<Uint8Array>,
  decode: (bytes: Uint8Array) => T,
  encode: (value: T) => Uint8Array,
  code: ProtocolError['code'],
): void {
  fc.assert(
    fc.property(bytes, (b) => {
      try {
        expect(encode(decode(b))).toEqual(b);
      } catch (e) {
        expect(ProtocolError.is(e, code), String(e)).toBe(true);
      }
    }),
    { numRuns: 1000 },
  );
}
