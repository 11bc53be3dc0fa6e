import { describe, expect, it } from "vitest";
import { RESERVATION_TTL_MS, ReservationBook, reservationSize } from "../../src/limits/token-reservation.ts";
import type { Limits } from "../../src/core/plans.ts";

const limits = (requestsPerSecond: number, burst: number, requestsPerDay: number | null = null) =>
  ({ requestsPerSecond, burst, requestsPerDay }) as Limits;
const pro = limits(100, 200, 100_000);

const remainders = (bucketRemaining: number, dailyRemaining: number | null, config = "c") => ({
  config,
  bucketRemaining,
  bucketResetAt: 0,
  dailyRemaining,
  dailyResetAt: dailyRemaining === null ? null : 86_400_000,
});

/** Records a round trip that took `size` tokens, the request spending one. */
const take = (book: ReservationBook, size: number, at: number, bucket = 150, daily: number | null = 90_000) =>
  book.record("t", remainders(bucket, daily), size, size - 1, at);

/** The size the next round trip would ask for. */
const sizeAt = (book: ReservationBook, at: number, config = "c") => book.plan("t", config, pro, at).size;

/** Spends every held token, as requests in the same isolate would. */
const spendAll = (book: ReservationBook, at: number) => {
  while (book.usable("t", "c", at)) {
    const held = book.usable("t", "c", at)!;
    held.tokens--;
    if (held.dailyUnits !== null) held.dailyUnits--;
  }
};

describe("reservationSize", () => {
  it("takes two tokens (one ahead) for small plans, one for a burst under twenty, and at most ten", () => {
    expect(reservationSize(limits(10, 20))).toBe(2); // free
    expect(reservationSize(limits(20, 40))).toBe(2);
    expect(reservationSize(limits(60, 120))).toBe(6);
    expect(reservationSize(limits(100, 200))).toBe(10); // pro
    expect(reservationSize(limits(1000, 2000))).toBe(10); // enterprise
    expect(reservationSize(limits(1000, 20))).toBe(2); // a small burst bounds it
    expect(reservationSize(limits(5, 10))).toBe(1);
    expect(reservationSize(limits(1, 2))).toBe(1);
  });
});

describe("ReservationBook", () => {
  it("starts with one token and doubles while reservations run out within their second, up to the plan's size", () => {
    const book = new ReservationBook();
    expect(sizeAt(book, 0)).toBe(1);
    const sizes: number[] = [];
    let size = 1;
    for (let at = 0; at < 500; at += 100) {
      take(book, size, at);
      spendAll(book, at);
      size = sizeAt(book, at + 50);
      sizes.push(size);
    }
    expect(sizes).toEqual([2, 4, 8, 10, 10]);
    expect(sizeAt(book, 500, "other config")).toBe(1);
  });

  it("falls back to what was spent when a reservation expires, and gives its unspent quota units back once", () => {
    const book = new ReservationBook();
    take(book, 10, 0);
    book.usable("t", "c", 0)!.tokens -= 3; // this request plus 3 more: 4 spent, 6 tokens left
    book.usable("t", "c", 0)!.dailyUnits! -= 3;
    const next = book.plan("t", "c", pro, RESERVATION_TTL_MS);
    expect(next).toEqual({ size: 4, unspentDaily: 6 });
    expect(book.plan("t", "c", pro, RESERVATION_TTL_MS).unspentDaily).toBe(0);
  });

  it("takes one token at a time when the bucket or the day's quota runs low", () => {
    const book = new ReservationBook();
    take(book, 8, 0, 19);
    spendAll(book, 0);
    expect(sizeAt(book, 10)).toBe(1);
    take(book, 8, 20, 150, 499);
    spendAll(book, 20);
    expect(sizeAt(book, 30)).toBe(1);
    take(book, 8, 40, 150, 500);
    spendAll(book, 40);
    expect(sizeAt(book, 50)).toBe(10);
  });

  it("spends held tokens only under the same configuration and within their time", () => {
    const book = new ReservationBook();
    take(book, 10, 1000);
    expect(book.usable("t", "c", 1000)?.tokens).toBe(9);
    expect(book.usable("t", "changed limits", 1000)).toBeUndefined();
    expect(book.usable("t", "c", 1000 + RESERVATION_TTL_MS)).toBeUndefined();
  });

  it("takes a refunded quota unit back into a live reservation, and declines when none is live", () => {
    const book = new ReservationBook();
    expect(book.giveBack("t", "c", 0)).toBe(false);
    take(book, 10, 0);
    expect(book.giveBack("t", "c", 10)).toBe(true);
    expect(book.usable("t", "c", 10)?.dailyUnits).toBe(10);
    expect(book.giveBack("t", "c", RESERVATION_TTL_MS)).toBe(false);
  });

  it("refills ahead once the isolate holds less than a block, one refill at a time, never near a limit", () => {
    const book = new ReservationBook();
    take(book, 10, 0); // the asking request spent one: 9 held, less than a block
    expect(book.startRefill("t", "c", pro, 10)).toBe(10);
    expect(book.refilling("t")).toBe(10);
    book.usable("t", "c", 20)!.tokens--;
    book.usable("t", "c", 20)!.dailyUnits!--;
    expect(book.startRefill("t", "c", pro, 30)).toBe(0); // one in flight
    book.refilled("t", remainders(140, 89_990), 10, 40);
    expect(book.refilling("t")).toBe(0);
    expect(book.usable("t", "c", 40)!.tokens).toBe(18); // at most two blocks less one
    expect(book.startRefill("t", "c", pro, 50)).toBe(0);
    // Out of order: a request's own answer, taken after the refill's, arrives first.
    book.usable("t", "c", 50)!.tokens -= 10;
    expect(book.startRefill("t", "c", pro, 60)).toBe(10);
    book.record("t", remainders(150, 89_960), 10, 9, 70);
    book.refilled("t", remainders(150, 89_970), 10, 80); // the stale remainder: the smaller one stays
    expect(book.usable("t", "c", 80)!.dailyRemaining).toBe(89_960);
    // Near the bucket's limit: no refill.
    const near = new ReservationBook();
    near.record("t", remainders(15, 90_000), 10, 9, 0);
    near.usable("t", "c", 0)!.tokens--;
    expect(near.startRefill("t", "c", pro, 10)).toBe(0);
  });
});
