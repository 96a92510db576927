/**
 * The short code's meeting place (DESIGN.md, Pairing: "Short code read aloud"; the contract, with
 * its sequence diagram and rules, is src/protocol/nameplate.ts): hands out nameplate numbers and
 * passes CPace's three messages between a nameplate's creator and one joiner at a time, reading
 * nothing in them.
 *
 * One object holds every nameplate (`idFromName('nameplates')`, reached through
 * nameplate-routes.ts): handing out a free number needs one place that knows them all. That is
 * its scaling limit: a single object (one thread, one machine) serves every short code there is,
 * each creation and claim reads the whole table (at most MAX_LIVE_NAMEPLATES rows), and at most
 * MAX_LIVE_NAMEPLATES codes can be live at once. A pairing costs a handful of events, so that is
 * plenty for a few hundred pairings in any ten minutes; beyond that the numbers must be sharded
 * (say, one object per range, chosen by the client from the number), which changes the contract.
 *
 * Nothing lives only in memory (hibernation: the runtime may evict the object between any two
 * events while its WebSockets stay open):
 *   - each nameplate (its number, a random id, a hash of its creator's address, its expiry, m1,
 *     the claims it had, whether the current claim's m2 went through, the current claim's
 *     deadline), each recently released number and each address's claims in its window are rows
 *     in this object's SQLite storage (nameplate-table.ts);
 *   - the WebSockets of a nameplate are those accepted with its id as their tag
 *     (`ctx.getWebSockets(id)`), each with its role, rate window and "closed by us" flag in its
 *     attachment (the current claim is the joiner among them);
 *   - the next deadline (a nameplate's expiry, a claim's deadline for m2, the end of a released
 *     number's quarantine or of an address's claim window) is the storage alarm.
 * The class has no fields of its own.
 */
import { DurableObject } from 'cloudflare:workers';
import {
  CLAIM_DEADLINE_MS,
  MAX_CLAIMS,
  NameplateCloseCode,
  NameplateError,
  PING_FRAME,
  PONG_FRAME,
  RATE_LIMIT_MESSAGES,
  RATE_LIMIT_WINDOW_MS,
  type NameplateClientMessage,
  type NameplateServerMessage,
  decodeNameplateClientMessage,
  encodeNameplateServerMessage,
  parseNameplatePath,
} from '../../src/protocol/nameplate';
import { closeQuietly, isUpgrade, reasonFor, refuseNameplate as refuse, safeSend } from './nameplate-routes';
import { readAttachment } from './attachment';
import {
  type Plate,
  addClaim,
  allPlates,
  clientKey,
  countClaim,
  deletePlate,
  endClaim,
  ensureSchema,
  forgetEnded,
  isOverdue,
  makePlate,
  mayClaim,
  nextDeadline,
  readPlate,
  setM1,
  setM2,
} from './nameplate-table';
import { textResponse } from './responses';

const NORMAL_CLOSURE = 1000;
const INTERNAL_ERROR = 1011;
/** The reason of the normal close after m3 went through. */
const FINISHED = 'exchange finished';

/** One WebSocket's bookkeeping, in its attachment so that it survives hibernation. */
interface Member {
  /** Random; tells sockets apart after hibernation, when the WebSocket objects are new ones. */
  readonly id: string;
  /** The nameplate's id (`Plate.id`), also the socket's tag. */
  readonly plate: string;
  readonly n: number;
  readonly creator: boolean;
  /** Start of the current rate window, in ms since the epoch. */
  readonly windowStart: number;
  /** Messages received in the current window. */
  readonly count: number;
  /** Set when this object closes the socket; whatever it sends afterwards is ignored. */
  readonly gone: boolean;
}

interface Connected {
  readonly ws: WebSocket;
  readonly member: Member;
}

function readMember(ws: WebSocket): Member | null {
  return readAttachment<Member>(ws, {
    id: 'string',
    plate: 'string',
    n: 'number',
    creator: 'boolean',
    windowStart: 'number',
    count: 'number',
    gone: 'boolean',
  });
}

const encode = (msg: NameplateServerMessage): string => encodeNameplateServerMessage(msg);

/** Closes a member for good: marked gone first, so that its later frames and close are ignored. */
function closeMember({ ws, member }: Connected, code: number, reason = reasonFor(code)): void {
  if (member.gone) return;
  ws.serializeAttachment({ ...member, gone: true } satisfies Member);
  closeQuietly(ws, code, reason);
}

export class Nameplates extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ensureSchema(ctx.storage.sql);
    // Answered by the runtime even while the object hibernates; never reaches webSocketMessage.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
  }

  /** A creation or a claim: the router has already checked the method, the path and the upgrade. */
  override async fetch(request: Request): Promise<Response> {
    if (!isUpgrade(request)) return textResponse(426, 'Expected a WebSocket upgrade.');
    let n: number | null;
    try {
      n = parseNameplatePath(new URL(request.url).pathname);
    } catch (e) {
      if (!NameplateError.is(e)) throw e;
      return refuse(e.closeCode);
    }
    const now = Date.now();
    await this.sweep(now);
    return n === null ? this.create(request, now) : this.claim(request, n, now);
  }

  override async webSocketMessage(ws: WebSocket, frame: string | ArrayBuffer): Promise<void> {
    try {
      const member = readMember(ws);
      if (member === null) {
        closeQuietly(ws, INTERNAL_ERROR, 'no member state');
        return;
      }
      if (member.gone) return;

      const now = Date.now();
      const fresh = now - member.windowStart >= RATE_LIMIT_WINDOW_MS || now < member.windowStart;
      const counted: Member = fresh
        ? { ...member, windowStart: now, count: 1 }
        : { ...member, count: member.count + 1 };
      if (counted.count > RATE_LIMIT_MESSAGES) {
        await this.expel({ ws, member: counted }, NameplateCloseCode.RATE_LIMITED);
        return;
      }
      ws.serializeAttachment(counted);

      let msg: NameplateClientMessage;
      try {
        msg = decodeNameplateClientMessage(frame);
      } catch (e) {
        if (!NameplateError.is(e)) throw e;
        await this.expel({ ws, member: counted }, e.closeCode);
        return;
      }
      if (msg.t === 'ping') {
        // Only a ping that is not byte-for-byte PING_FRAME gets here; it counts like any message.
        ws.send(encode({ t: 'pong' }));
        return;
      }

      const plate = readPlate(this.sql, counted.n);
      if (plate === null || plate.id !== counted.plate) {
        // Released meanwhile (its sockets are closed as it goes): nothing left to talk to.
        closeMember({ ws, member: counted }, NameplateCloseCode.NO_SUCH_NAMEPLATE);
        return;
      }
      if (plate.expires <= now || (!counted.creator && isOverdue(plate, now))) {
        await this.sweep(now); // closes this socket too
        return;
      }
      const self = { ws, member: counted };
      if (counted.creator) await this.fromCreator(self, plate, msg.d);
      else await this.fromJoiner(self, plate, msg.d);
    } catch (e) {
      await this.fail(ws, e);
    }
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    await this.left(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.left(ws);
  }

  /** Expiry of nameplates and claims, and the end of quarantines and claim windows. */
  override async alarm(): Promise<void> {
    await this.sweep(Date.now());
  }

  private get sql(): SqlStorage {
    return this.ctx.storage.sql;
  }

  /** A new nameplate for this client, unless it or the whole object has no room for one. */
  private async create(request: Request, now: number): Promise<Response> {
    const plate = makePlate(this.sql, await clientKey(request), now);
    if (plate === null) return refuse(NameplateCloseCode.NO_FREE_NAMEPLATE);
    const { client: socket, server } = this.accept(plate, true, now);
    server.send(encode({ t: 'nameplate', n: plate.n, expires: plate.expires }));
    await this.schedule();
    return new Response(null, { status: 101, webSocket: socket });
  }

  /**
   * A joiner for nameplate `n`: one claim at a time, MAX_CLAIMS in all, and MAX_CLAIMS_PER_CLIENT
   * from one address in its window, refused before anything is said about the nameplate.
   */
  private async claim(request: Request, n: number, now: number): Promise<Response> {
    const address = await clientKey(request);
    if (!mayClaim(this.sql, address, now)) return refuse(NameplateCloseCode.TOO_MANY_CLAIMS);
    const plate = readPlate(this.sql, n);
    if (plate === null) return refuse(NameplateCloseCode.NO_SUCH_NAMEPLATE);
    if (plate.claims >= MAX_CLAIMS) return refuse(NameplateCloseCode.TOO_MANY_ATTEMPTS);
    const present = this.members(plate.id);
    const creator = present.find((m) => m.member.creator);
    // The sweep just before released every nameplate without its creator.
    if (creator === undefined) return refuse(NameplateCloseCode.NO_SUCH_NAMEPLATE);
    if (present.some((m) => !m.member.creator)) return refuse(NameplateCloseCode.BUSY);
    const { client, server } = this.accept(plate, false, now);
    countClaim(this.sql, address, now);
    safeSend(creator.ws, encode({ t: 'claimed' }));
    if (plate.m1 !== null) this.giveM1(plate, plate.m1, server, now);
    await this.schedule();
    return new Response(null, { status: 101, webSocket: client });
  }

  /** m1 once; m3 once the current claim's m2 went through, which ends the nameplate. */
  private async fromCreator(self: Connected, plate: Plate, d: string): Promise<void> {
    const joiner = this.members(plate.id).find((m) => !m.member.creator);
    if (plate.m1 === null) {
      setM1(this.sql, plate.n, d);
      if (joiner === undefined) return;
      this.giveM1(plate, d, joiner.ws, Date.now());
      await this.schedule();
      return;
    }
    if (plate.m2 === 1 && joiner !== undefined) {
      safeSend(joiner.ws, encode({ t: 'pake', d }));
      this.release(plate, NORMAL_CLOSURE, Date.now(), undefined, FINISHED);
      await this.schedule();
      return;
    }
    await this.expel(self, NameplateCloseCode.OUT_OF_TURN);
  }

  /** m2, once, and only after m1 was passed on to this joiner. */
  private async fromJoiner(self: Connected, plate: Plate, d: string): Promise<void> {
    if (plate.m1 === null || plate.m2 === 1) {
      await this.expel(self, NameplateCloseCode.OUT_OF_TURN);
      return;
    }
    setM2(this.sql, plate.n);
    const creator = this.members(plate.id).find((m) => m.member.creator);
    if (creator !== undefined) safeSend(creator.ws, encode({ t: 'pake', d }));
  }

  /**
   * Passes m1 to the claim's joiner: from then on the claim counts against MAX_CLAIMS and has
   * CLAIM_DEADLINE_MS to send m2. The caller schedules the alarm.
   */
  private giveM1(plate: Plate, m1: string, joiner: WebSocket, now: number): void {
    addClaim(this.sql, plate.n, now + CLAIM_DEADLINE_MS);
    safeSend(joiner, encode({ t: 'pake', d: m1 }));
  }

  private accept(plate: Plate, creator: boolean, now: number): { client: WebSocket; server: WebSocket } {
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [plate.id]);
    const member: Member = {
      id: crypto.randomUUID(),
      plate: plate.id,
      n: plate.n,
      creator,
      windowStart: now,
      count: 0,
      gone: false,
    };
    server.serializeAttachment(member);
    return { client, server };
  }

  /** Closes a socket that broke a rule, then lets its nameplate know as if it had left. */
  private async expel(self: Connected, code: NameplateCloseCode): Promise<void> {
    closeMember(self, code);
    await this.depart(self.member);
  }

  /** The client closed or the connection broke. */
  private async left(ws: WebSocket): Promise<void> {
    try {
      const member = readMember(ws);
      // Complete the closing handshake (a no-op when the runtime already has).
      closeQuietly(ws, NORMAL_CLOSURE, 'bye');
      if (member !== null && !member.gone) await this.depart(member);
    } catch (e) {
      console.error('nameplates: unexpected error', e);
    }
  }

  /**
   * A member is gone. The creator takes its nameplate with it (the joiner hears CREATOR_LEFT), and
   * so does a joiner whose m2 went through (the creator hears JOINER_LEFT); a joiner gone before
   * that ends only its claim, and the next may claim.
   */
  private async depart(member: Member): Promise<void> {
    const plate = readPlate(this.sql, member.n);
    if (plate === null || plate.id !== member.plate) return;
    if (member.creator || plate.m2 === 1) {
      const code = member.creator ? NameplateCloseCode.CREATOR_LEFT : NameplateCloseCode.JOINER_LEFT;
      this.release(plate, code, Date.now(), member.id);
    } else {
      this.unclaim(plate, member.id);
    }
    await this.schedule();
  }

  /**
   * Ends the current claim before its m2 (its deadline goes): the creator hears `unclaimed`, and a
   * joiner still there (but `exceptId`, gone already) is closed: its deadline passed.
   */
  private unclaim(plate: Plate, exceptId?: string): void {
    endClaim(this.sql, plate.n);
    const unclaimed = encode({ t: 'unclaimed' });
    for (const connected of this.members(plate.id, exceptId)) {
      if (connected.member.creator) safeSend(connected.ws, unclaimed);
      else closeMember(connected, NameplateCloseCode.CLAIM_TIMEOUT);
    }
  }

  /**
   * Ends a nameplate: its row goes, its number is quarantined for NAMEPLATE_TTL_MS, and its other
   * sockets are closed with `code`. The caller schedules the alarm.
   */
  private release(
    plate: Plate,
    code: number,
    now: number,
    exceptId?: string,
    reason = reasonFor(code),
  ): void {
    deletePlate(this.sql, plate.n, now);
    for (const connected of this.members(plate.id, exceptId)) closeMember(connected, code, reason);
  }

  /**
   * Brings storage up to `now`: expired nameplates end (EXPIRED to both sides), so do those whose
   * creator's socket is gone without a close event; a claim past its deadline ends (CLAIM_TIMEOUT
   * to the joiner, `unclaimed` to the creator); quarantines and claim windows that ended go.
   */
  private async sweep(now: number): Promise<void> {
    const withCreator = new Set<string>();
    for (const ws of this.ctx.getWebSockets()) {
      const member = readMember(ws);
      if (member?.creator === true && !member.gone && ws.readyState === WebSocket.OPEN) {
        withCreator.add(member.plate);
      }
    }
    for (const plate of allPlates(this.sql)) {
      if (plate.expires <= now) this.release(plate, NameplateCloseCode.EXPIRED, now);
      else if (!withCreator.has(plate.id)) this.release(plate, NameplateCloseCode.CREATOR_LEFT, now);
      else if (isOverdue(plate, now)) this.unclaim(plate);
    }
    forgetEnded(this.sql, now);
    await this.schedule();
  }

  /** The alarm goes off at the next deadline of any kind (nextDeadline); none left, no alarm. */
  private async schedule(): Promise<void> {
    const next = nextDeadline(this.sql);
    const current = await this.ctx.storage.getAlarm();
    if (next === null) {
      if (current !== null) await this.ctx.storage.deleteAlarm();
    } else if (current !== next) {
      await this.ctx.storage.setAlarm(next);
    }
  }

  /** The open sockets of nameplate `plateId` that this object has not closed, but `exceptId`. */
  private members(plateId: string, exceptId?: string): Connected[] {
    const out: Connected[] = [];
    for (const ws of this.ctx.getWebSockets(plateId)) {
      const member = readMember(ws);
      if (member === null || member.gone || member.id === exceptId || member.plate !== plateId) continue;
      if (ws.readyState !== WebSocket.OPEN) continue;
      out.push({ ws, member });
    }
    return out;
  }

  /** Unexpected failure: logged here; the client hears only that the server failed. */
  private async fail(ws: WebSocket, e: unknown): Promise<void> {
    console.error('nameplates: unexpected error', e);
    const member = readMember(ws);
    if (member === null) {
      closeQuietly(ws, INTERNAL_ERROR, 'internal error');
      return;
    }
    closeMember({ ws, member }, INTERNAL_ERROR, 'internal error');
    try {
      await this.depart(member);
    } catch (again) {
      console.error('nameplates: unexpected error', again);
    }
  }
}
