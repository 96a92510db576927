/**
 * The page half of bench/routes.bench.ts: installed in each of the two pages as an init script, it
 * opens one end of a route and measures over it. The same measurements run over every route:
 *   - a bare RTCDataChannel (ordered, reliable; non-trickle offer and answer carried by Node), with
 *     whatever RTCConfiguration Node passes: no ICE servers (direct), or coturn's with
 *     `iceTransportPolicy: 'relay'` (TURN);
 *   - a WebSocket to the worker's relay room (`/relay/<id>`, src/protocol/relay.ts): binary frames
 *     both ways once the worker's text frame RELAY_READY says both sides are in.
 * One side measures (`ping`, `bulk`), the other answers (`answer`): it echoes each 64-byte message
 * and, once it has received a bulk run's bytes, sends one byte back, so every time is read on the
 * measuring page's own clock.
 *
 * This function is serialized into the page (`addInitScript`): it uses nothing from outside
 * itself. tsx (esbuild's keepNames) wraps named inner functions in `__name(…)`; the bench defines
 * `__name` in the page before this script runs.
 */

/** What a page measures with; the sender's flow control, as the app's transport does it. */
export interface RoutesPageOptions {
  /** Stop sending while more than this is buffered ... */
  highWaterMark: number;
  /** ... until it is at most this much (DataChannel: bufferedamountlow; WebSocket: polled). */
  lowWaterMark: number;
}

/** The selected ICE candidate pair, as getStats reports it. */
export interface RoutesPath {
  local: string;
  remote: string;
  /** How the local side reaches its TURN server, for a relay candidate. */
  relayProtocol?: string;
  /** UDP packets this side's ICE transport discarded on send so far (webrtc-stats). */
  discardedOnSend: number;
}

export interface RoutesPage {
  /** DataChannel, the offering side: the complete offer (all candidates gathered), as JSON. */
  offer(config: RTCConfiguration): Promise<string>;
  /** DataChannel, the answering side: takes the offer, returns the complete answer as JSON. */
  answer(config: RTCConfiguration, offer: string): Promise<string>;
  /** DataChannel, the offering side: takes the answer. */
  accept(answer: string): Promise<void>;
  /** Resolves when this side's DataChannel is open. */
  channelOpen(): Promise<void>;
  /** The DataChannel's selected candidate pair. */
  path(): Promise<RoutesPath>;
  /** Worker relay: opens the WebSocket, resolves on RELAY_READY. */
  relay(url: string, ready: string): Promise<void>;
  /** The answering side: echo 64-byte messages, and answer one byte after `bulkBytes` arrived. */
  serve(bulkBytes: number): void;
  /** The measuring side: `warmup + count` sequential 64-byte round trips; the timed ones in ms. */
  ping(count: number, warmup: number): Promise<number[]>;
  /** The measuring side: `bytes` in `chunk`-byte messages; ms from the first send to the answer. */
  bulk(bytes: number, chunk: number): Promise<number>;
  close(): void;
}

declare global {
  interface Window {
    routesBench: RoutesPage;
  }
}

export function routesPageScript(options: RoutesPageOptions): void {
  /** One open route: a DataChannel or a relay WebSocket, seen the same way. */
  interface Route {
    send(data: Uint8Array<ArrayBuffer>): void;
    buffered(): number;
    /** Resolves when the buffer has drained to the low-water mark. */
    drained(): Promise<void>;
    onMessage(fn: (data: ArrayBuffer) => void): void;
    close(): void;
  }
  let pc: RTCPeerConnection | undefined;
  let channel: Promise<RTCDataChannel> | undefined;
  let route: Route | undefined;

  const gathered = async (conn: RTCPeerConnection): Promise<string> => {
    if (conn.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve) => {
        conn.addEventListener('icegatheringstatechange', () => {
          if (conn.iceGatheringState === 'complete') resolve();
        });
      });
    }
    return JSON.stringify(conn.localDescription);
  };

  const dataChannelRoute = (ch: RTCDataChannel): Route => {
    ch.binaryType = 'arraybuffer';
    ch.bufferedAmountLowThreshold = options.lowWaterMark;
    return {
      send: (data) => ch.send(data),
      buffered: () => ch.bufferedAmount,
      drained: async () =>
        new Promise<void>((resolve) =>
          ch.addEventListener('bufferedamountlow', () => resolve(), { once: true }),
        ),
      onMessage: (fn) => (ch.onmessage = (e: MessageEvent<ArrayBuffer>) => fn(e.data)),
      close: () => {
        ch.close();
        pc?.close();
      },
    };
  };

  const need = (): Route => {
    if (!route) throw new Error('No route is open on this page.');
    return route;
  };

  /** The next message on the measuring side (a pong or the bulk answer). */
  let next: ((data: ArrayBuffer) => void) | undefined;
  const reply = async (): Promise<ArrayBuffer> => new Promise((resolve) => (next = resolve));

  window.routesBench = {
    async offer(config) {
      pc = new RTCPeerConnection(config);
      const ch = pc.createDataChannel('bench', { ordered: true });
      channel = Promise.resolve(ch);
      await pc.setLocalDescription();
      return gathered(pc);
    },
    async answer(config, offer) {
      const conn = new RTCPeerConnection(config);
      pc = conn;
      channel = new Promise((resolve) =>
        conn.addEventListener('datachannel', (e) => resolve(e.channel), { once: true }),
      );
      await conn.setRemoteDescription(JSON.parse(offer) as RTCSessionDescriptionInit);
      await conn.setLocalDescription();
      return gathered(conn);
    },
    async accept(answer) {
      if (!pc) throw new Error('accept() before offer().');
      await pc.setRemoteDescription(JSON.parse(answer) as RTCSessionDescriptionInit);
    },
    async channelOpen() {
      if (!channel) throw new Error('channelOpen() before offer() or answer().');
      const ch = await channel;
      if (ch.readyState !== 'open') {
        await new Promise<void>((resolve, reject) => {
          ch.addEventListener('open', () => resolve(), { once: true });
          ch.addEventListener('close', () => reject(new Error('The DataChannel closed before it opened.')), {
            once: true,
          });
        });
      }
      route = dataChannelRoute(ch);
    },
    async path() {
      if (!pc) throw new Error('path() without a peer connection.');
      const stats = new Map<string, Record<string, unknown>>();
      (await pc.getStats()).forEach((s: Record<string, unknown>) => stats.set(s['id'] as string, s));
      const transport = [...stats.values()].find((s) => s['type'] === 'transport');
      const pair = stats.get(transport?.['selectedCandidatePairId'] as string);
      if (!transport || !pair) throw new Error('getStats names no selected candidate pair.');
      const local = stats.get(pair['localCandidateId'] as string) ?? {};
      const remote = stats.get(pair['remoteCandidateId'] as string) ?? {};
      let discardedOnSend = 0;
      stats.forEach((s) => {
        if (s['type'] === 'candidate-pair') discardedOnSend += (s['packetsDiscardedOnSend'] as number) ?? 0;
      });
      return {
        local: String(local['candidateType']),
        remote: String(remote['candidateType']),
        ...(typeof local['relayProtocol'] === 'string' ? { relayProtocol: local['relayProtocol'] } : {}),
        discardedOnSend,
      };
    },
    async relay(url, ready) {
      const ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      let receive: (data: ArrayBuffer) => void = () => undefined;
      await new Promise<void>((resolve, reject) => {
        ws.onmessage = (e: MessageEvent) => {
          if (e.data === ready) resolve();
          else if (e.data instanceof ArrayBuffer) receive(e.data);
          else reject(new Error(`The relay sent an unexpected text frame: ${String(e.data)}`));
        };
        ws.onclose = (e) =>
          reject(new Error(`The relay closed with ${e.code} ${e.reason} before it was ready.`));
      });
      // Afterwards a close is a limit or a failure: said on the console, which the bench prints.
      ws.onclose = (e) => console.error(`The relay closed with ${e.code} ${e.reason}.`);
      route = {
        send: (data) => ws.send(data),
        buffered: () => ws.bufferedAmount,
        // A WebSocket has no bufferedamountlow event: poll (timers are clamped to 4 ms when nested).
        drained: async () => {
          while (ws.bufferedAmount > options.lowWaterMark) await new Promise((r) => setTimeout(r, 1));
        },
        onMessage: (fn) => (receive = fn),
        close: () => {
          ws.onclose = null;
          ws.close(1000, 'done');
        },
      };
    },
    serve(bulkBytes) {
      const r = need();
      let got = 0;
      r.onMessage((data) => {
        if (data.byteLength === 64) {
          r.send(new Uint8Array(data));
          return;
        }
        got += data.byteLength;
        if (got >= bulkBytes) {
          got = 0;
          r.send(new Uint8Array(1));
        }
      });
    },
    async ping(count, warmup) {
      const r = need();
      r.onMessage((data) => next?.(data));
      const probe = crypto.getRandomValues(new Uint8Array(64));
      const rtts: number[] = [];
      for (let i = 0; i < warmup + count; i++) {
        const answered = reply();
        const t0 = performance.now();
        r.send(probe);
        if ((await answered).byteLength !== 64) throw new Error('A ping came back with another size.');
        if (i >= warmup) rtts.push(performance.now() - t0);
      }
      return rtts;
    },
    async bulk(bytes, chunk) {
      const r = need();
      r.onMessage((data) => next?.(data));
      const message = crypto.getRandomValues(new Uint8Array(chunk)); // the browser copies it each send
      const answered = reply();
      const t0 = performance.now();
      for (let sent = 0; sent < bytes; sent += chunk) {
        if (r.buffered() > options.highWaterMark) await r.drained();
        r.send(message);
      }
      await answered;
      return performance.now() - t0;
    },
    close() {
      route?.close();
      route = undefined;
      pc?.close();
      pc = undefined;
      channel = undefined;
    },
  };
}
