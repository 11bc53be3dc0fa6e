/**
 * Prefixed, opaque, time-ordered ids: `ten_`, `key_`, `evt_` + 26 lowercase base32 characters
 * (48-bit millisecond time, 80 random bits). One case only, so ordering by id is creation order
 * under any collation; that is what list cursors rely on.
 */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

export type IdPrefix = "ten" | "key" | "evt" | "job" | "whk" | "msg" | "dlv" | "pln" | "pss";

export function newId(prefix: IdPrefix, now = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const random = crypto.getRandomValues(new Uint8Array(16));
  let rest = "";
  for (let i = 0; i < 16; i++) rest += ALPHABET[random[i]! % 32];
  return `${prefix}_${time}${rest}`;
}

const ID_SHAPE = /^[0-9a-hjkmnp-tv-z]{26}$/;

export function isId(prefix: IdPrefix, value: string): boolean {
  return value.startsWith(`${prefix}_`) && ID_SHAPE.test(value.slice(prefix.length + 1));
}
