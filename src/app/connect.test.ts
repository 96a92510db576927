import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../protocol/errors';
import { createInvite } from '../protocol/pairing';
import { createMemoryTransportPair } from '../rtc/memory-transport';
import { createServer, type Server } from 'node:net';
import { rendezvousPair } from '../protocol/rendezvous';
import { connectKnownContact, createIdentity, secureSession } from './connect';

async function settle<T>(p: Promise<T>) {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

describe('secureSession', () => {
  it('connects, agrees on the safety number, and marks a key proved by the invite', async () => {
    const { a, b } = createMemoryTransportPair();
    const inviter = await createIdentity('Alice');
    const joiner = await createIdentity('Bob');
    const invite = createInvite(inviter.userId);
    const [x, y] = await Promise.all([secureSession(a, inviter), secureSession(b, joiner, invite)]);
    expect(await x.safetyNumber()).toMatch(/^\d{60}$/);
    expect(await x.safetyNumber()).toBe(await y.safetyNumber());
    expect(y.keyProvenByInvite).toBe(true);
    expect(y.peer.displayName).toBe('Alice');
  });

  it('refuses an inviter whose identity key is not the one the invite names', async () => {
    const { a, b } = createMemoryTransportPair();
    const impostor = await createIdentity('Mallory');
    const joiner = await createIdentity('Bob');
    const invite = createInvite((await createIdentity('Alice')).userId);
    const [, joined] = await Promise.all([
      settle(secureSession(a, impostor)),
      settle(secureSession(b, joiner, invite)),
    ]);
    expect(!joined.ok && ProtocolError.is(joined.error, 'WRONG_PEER_KEY')).toBe(true);
    expect(!joined.ok && (joined.error as Error).message).toMatch(/may be intercepted/);
  });

  it('lets the joiner, as Noise initiator, refuse a wrong inviter before it sends its own key', async () => {
    const fromJoiner: number[] = [];
    // The joiner is the offerer (side a, the Noise initiator), as in worker pairing.
    const { a, b } = createMemoryTransportPair({
      tap: (from, data) => {
        if (from === 'a') fromJoiner.push(data[3]!); // the frame type byte
        return data;
      },
    });
    const joiner = await createIdentity('Bob');
    const impostor = await createIdentity('Mallory');
    const invite = createInvite((await createIdentity('Alice')).userId);
    const [joined, inviter] = await Promise.all([
      settle(secureSession(a, joiner, invite)),
      settle(secureSession(b, impostor)),
    ]);
    expect(!joined.ok && ProtocolError.is(joined.error, 'WRONG_PEER_KEY')).toBe(true);
    expect(inviter.ok).toBe(false);
    // HANDSHAKE_REQUEST (0x02) went out; HANDSHAKE_FINISH (0x04), which carries the joiner's static
    // key, name and everything else about it, never did.
    expect(fromJoiner).toContain(0x02);
    expect(fromJoiner).not.toContain(0x04);
  });

  it('settles a rendezvous meeting that is cancelled (rejected), so a reconnect loop waiting on it moves on', async () => {
    // A server that accepts the connection and never answers: the WebSocket stays connecting.
    const sockets: import('node:net').Socket[] = [];
    const server: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const alice = await createIdentity('Alice');
      const bob = await createIdentity('Bob');
      const pair = await rendezvousPair(alice.keyPair, bob.keyPair.publicKey);
      const meeting = connectKnownContact(alice, pair, {
        signalingUrl: `ws://127.0.0.1:${port}`,
        iceServers: [],
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      meeting.cancel();
      await expect(meeting.connected).rejects.toThrow(/Cancelled/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
