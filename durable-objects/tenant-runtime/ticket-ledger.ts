import { TICKET_TTL_MS } from "../../src/realtime/tickets.ts";

/** Realtime ticket ids already redeemed, kept until the ticket would have expired anyway. */
export class TicketLedger {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`create table if not exists redeemed_tickets (jti text primary key, forget_after integer not null)`);
  }

  /** True the first time a ticket id is redeemed, false on every later attempt. */
  redeem(jti: string, now = Date.now()): boolean {
    this.sql.exec(`delete from redeemed_tickets where forget_after < ?`, now);
    const seen = this.sql.exec(`select 1 from redeemed_tickets where jti = ?`, jti).toArray().length > 0;
    if (seen) return false;
    this.sql.exec(`insert into redeemed_tickets (jti, forget_after) values (?, ?)`, jti, now + TICKET_TTL_MS);
    return true;
  }
}
