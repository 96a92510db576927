/**
 * CRC-32 as in ISO-HDLC / IEEE 802.3 (reflected polynomial 0xEDB88320, init and final XOR
 * 0xFFFFFFFF; check value of "123456789" is 0xCBF43926). It detects every burst error of up to
 * 32 bits, which covers any one or two mistyped characters of an invite code. Not a MAC: it
 * protects against typos, not against anyone.
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
