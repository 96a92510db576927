/** The stateless router: only `GET /rooms/<roomId>` upgrades reach a room; the rest get a sentence. */
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { SignalingCloseCode } from '../../src/protocol/signaling';
import { Client, ORIGIN, newRoomId, upgrade } from './helpers';

async function expectText(response: Response, status: number): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  const body = await response.text();
  expect(body).toMatch(/^[A-Z][^\n]*\.\n$/); // one sentence
  expect(body).not.toMatch(/Error|\bat\b|\.ts|\.js|stack/);
  return body;
}

describe('router', () => {
  const id = newRoomId();

  it.each([
    ['/', 404],
    ['/favicon.ico', 404],
    ['/rooms', 404],
    ['/room/' + id, 404],
    ['/rooms/', 400],
    ['/rooms/short', 400],
    [`/rooms/${id}/extra`, 400],
    [`/rooms/${id.slice(0, 42)}=`, 400],
    [`/rooms/${id}`, 426],
  ])('answers GET %s without an upgrade with %i text', async (path, status) => {
    await expectText(await exports.default.fetch(new Request(ORIGIN + path)), status);
  });

  it('answers other methods with 405 text', async () => {
    const response = await exports.default.fetch(new Request(`${ORIGIN}/rooms/${id}`, { method: 'POST' }));
    await expectText(response, 405);
    expect(response.headers.get('allow')).toBe('GET');
  });

  it('answers a WebSocket upgrade to a malformed room id with close 4006', async () => {
    for (const bad of ['x', '', `${id}A`, `${id}/x`]) {
      const response = await upgrade(`/rooms/${bad}`);
      expect(response.status).toBe(101);
      const client = new Client(response.webSocket!);
      expect(await client.closeCode()).toMatchObject({ code: SignalingCloseCode.BAD_REQUEST });
    }
  });

  it('answers a WebSocket upgrade elsewhere with 404 text', async () => {
    await expectText(await upgrade('/'), 404);
  });
});
