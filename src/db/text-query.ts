import { sql, type SQL } from "drizzle-orm";

/** A statement written as SQL text with `$1`, `$2`… and its parameters, in order. */
export interface TextQuery {
  text: string;
  params: unknown[];
}

const PLACEHOLDER = /\$(\d+)/g;

/**
 * The same statement as drizzle SQL, for the paths that run through drizzle (interactive
 * transactions over the WebSocket pool): each statement is written once, as text, and runs the
 * same on both paths.
 */
export function textToSql({ text, params }: TextQuery): SQL {
  const chunks: SQL[] = [];
  let from = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    chunks.push(sql.raw(text.slice(from, match.index)), sql`${params[Number(match[1]) - 1]}`);
    from = match.index + match[0].length;
  }
  chunks.push(sql.raw(text.slice(from)));
  return sql.join(chunks);
}
