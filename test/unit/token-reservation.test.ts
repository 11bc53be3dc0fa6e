import { describe, expect, it } from "vitest";
import { RESERVATION_TTL_MS, ReservationBook, reservationSize } from "../../src/limits/token-reservation.ts";
import type { Limits } from "../../src/plans/catalog.ts";

const limits = (requestsPerSecond: number, burst: number, requestsPerDay: number | null = null) =>
  ({ requestsPerSecond, burst, requestsPerDay }) as Limits;

const answer = (config: string, bucketRemaining: number, dailyRemaining: number | null) => ({
  config,
  bucketRemaining,
  bucketResetAt: 0,
  dailyRemaining,
  dailyResetAt: dailyRemaining === null ? null : 0,
});

describe("reservationSize", () => {
  it("takes one token at a time for small plans and at most ten for large ones", () => {
    expect(reservationSize(limits(10, 20))).toBe(1); // free
    expect(reservationSize(limits(20, 40))).toBe(2);
    expect(reservationSize(limits(100, 200))).toBe(10); // pro
    expect(reservationSize(limits(1000, 2000))).toBe(10); // enterprise
    expect(reservationSize(limits(1000, 20))).toBe(1); // a small burst bounds it
  });
});

describe("ReservationBook", () => {
  const pro = limits(100, 200, 100_000);

  it("asks for one token until Upstash has said there is plenty left, then for a full reservation", () => {
    const book = new ReservationBook();
    expect(book.sizeFor("t", "c", pro)).toBe(1);
    book.record("t", answer("c", 199, 99_999), 0, 0);
    expect(book.sizeFor("t", "c", pro)).toBe(10);
    expect(book.sizeFor("t", "other config", pro)).toBe(1);
  });

  it("goes back to one token when the bucket or the day's quota runs low", () => {
    const book = new ReservationBook();
    book.record("t", answer("c", 19, 99_999), 0, 0);
    expect(book.sizeFor("t", "c", pro)).toBe(1);
    book.record("t", answer("c", 150, 499), 0, 0);
    expect(book.sizeFor("t", "c", pro)).toBe(1);
    book.record("t", answer("c", 150, 500), 0, 0);
    expect(book.sizeFor("t", "c", pro)).toBe(10);
  });

  it("spends held tokens only under the same configuration and within their time", () => {
    const book = new ReservationBook();
    book.record("t", answer("c", 150, 90_000), 9, 1000);
    const held = book.usable("t", "c", 1000);
    expect(held?.tokens).toBe(9);
    expect(book.usable("t", "changed limits", 1000)).toBeUndefined();
    expect(book.usable("t", "c", 1000 + RESERVATION_TTL_MS)).toBeUndefined();
    held!.tokens = 0;
    expect(book.usable("t", "c", 1000)).toBeUndefined();
  });

  it("returns the quota units an expired reservation left unspent, once", () => {
    const book = new ReservationBook();
    book.record("t", answer("c", 150, 90_000), 9, 1000);
    book.usable("t", "c", 1000)!.dailyUnits! -= 4;
    expect(book.record("t", answer("c", 140, 89_990), 9, 1000 + RESERVATION_TTL_MS)).toBe(5);
    expect(book.usable("t", "c", 1000 + RESERVATION_TTL_MS)?.dailyUnits).toBe(9);
  });

  it("takes a refunded quota unit back into a live reservation, and declines when none is live", () => {
    const book = new ReservationBook();
    expect(book.giveBack("t", "c", 0)).toBe(false);
    book.record("t", answer("c", 150, 90_000), 9, 0);
    expect(book.giveBack("t", "c", 10)).toBe(true);
    expect(book.usable("t", "c", 10)?.dailyUnits).toBe(10);
    expect(book.giveBack("t", "c", RESERVATION_TTL_MS)).toBe(false);
  });
});
