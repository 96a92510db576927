/**
 * File chunks as FILE_CHUNK frames that the session only MACs, with the Merkle proof inside the
 * file-key encryption (src/protocol/file-chunk.ts, since 3313d44). An app from before then neither
 * announces this nor reads such frames (it would try to decrypt them with the session's key, refuse
 * them, and close the session after three), so files go only between sessions where both sides
 * announce it; with an older app a transfer waits until it is updated.
 */
export const FILE_CHUNKS_CAPABILITY = 'file-chunk.v2';

/** What this version of the app announces in its handshake payload. */
export const CAPABILITIES = ['text.v1', 'ack.v1', FILE_CHUNKS_CAPABILITY];

/** Whether a peer that announced `capabilities` reads this version's FILE_CHUNK frames. */
export function readsFileChunks(capabilities: readonly string[]): boolean {
  return capabilities.includes(FILE_CHUNKS_CAPABILITY);
}

/**
 * What an offer this side sent is waiting for, for its line in the chat: the person to accept it
 * (a session that carries files is open), the contact to come online (no session), or the
 * contact's app to be updated (a session is open, but its app does not read this version's file
 * chunks, so the offer waits in the outbox: live-sessions.ts `filesReady`).
 */
export function offerWaitsFor(
  live:
    | {
        readonly state: string;
        readonly connected: { readonly peer: { readonly capabilities: readonly string[] } };
      }
    | undefined,
): 'accept' | 'online' | 'update' {
  if (live?.state !== 'open') return 'online';
  return readsFileChunks(live.connected.peer.capabilities) ? 'accept' : 'update';
}
