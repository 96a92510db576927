/**
 * A WebSocket's attachment read back (the hibernation API's `serializeAttachment`): the
 * bookkeeping a room keeps per WebSocket so that it survives eviction, checked field by field.
 * Room (room.ts) and Relay (relay.ts) each keep one record a WebSocket this way.
 */

/** The `typeof` name of each field of T: 'string', 'number' or 'boolean'. */
export type AttachmentFields<T> = {
  readonly [K in keyof T]-?: T[K] extends string
    ? 'string'
    : T[K] extends number
      ? 'number'
      : T[K] extends boolean
        ? 'boolean'
        : never;
};

/**
 * The WebSocket's attachment as a T: an object whose every field in `fields` has that type, and
 * only those fields; null when it is anything else (none, or not written by this code).
 */
export function readAttachment<T extends object>(ws: WebSocket, fields: AttachmentFields<T>): T | null {
  const value: unknown = ws.deserializeAttachment();
  if (typeof value !== 'object' || value === null) return null;
  const record: Record<string, unknown> = {};
  for (const [name, type] of Object.entries(fields)) {
    const field: unknown = Reflect.get(value, name);
    if (typeof field !== type) return null;
    record[name] = field;
  }
  return record as T; // every field of T was checked above
}
