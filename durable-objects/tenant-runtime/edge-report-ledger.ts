/**
 * Which tally batches edge isolates reported (src/edge/edge-tally.ts), so that a resent batch
 * counts once. An isolate numbers its batches and sends them to one runtime object strictly one
 * after another (the next only once the last returned or was given up), so the object needs only
 * the highest number it took from each isolate: a batch numbered at or below it is a resend. One
 * small row per isolate, in SQLite (an eviction between the two arrivals must not count twice),
 * kept ten minutes after the isolate's last report, far longer than an edge keeps retrying.
 */
import type { EdgeBatchId } from "./admission.ts";

const KEEP_MS = 10 * 60_000;

/** Silent isolates are swept at most this often. */
const SWEEP_EVERY_MS = 10_000;

export class EdgeReportLedger {
  private sweptAt = 0;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`create table if not exists edge_sources (source text primary key, seq integer not null, at integer not null) without rowid`);
    // Objects from before sequence numbers kept one row per batch id.
    sql.exec(`drop table if exists edge_reports`);
  }

  /** True the first time the batch arrives: the caller counts it then, and only then. */
  accept({ source, seq }: EdgeBatchId, now = Date.now()): boolean {
    if (now - this.sweptAt >= SWEEP_EVERY_MS) {
      this.sweptAt = now;
      this.sql.exec(`delete from edge_sources where at < ?`, now - KEEP_MS);
    }
    return (
      this.sql.exec(
        `insert into edge_sources (source, seq, at) values (?, ?, ?)
         on conflict (source) do update set seq = excluded.seq, at = excluded.at where excluded.seq > edge_sources.seq`,
        source,
        seq,
        now,
      ).rowsWritten > 0
    );
  }
}
