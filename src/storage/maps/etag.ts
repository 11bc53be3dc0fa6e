import { ApiError } from "../../http/problem.ts";

/** A record's entity tag is its version, as a strong tag: `"3"`. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/** `If-Match`: `*` (the record exists) or the versions it may have. */
export type IfMatch = { kind: "any" } | { kind: "versions"; versions: readonly number[] };

// RFC 9110: entity-tag = [ W/ ] DQUOTE *etagc DQUOTE, in a comma-separated list.
const LIST_ITEM = /\s*(W\/)?"([\x21\x23-\x7E\x80-\xFF]*)"\s*(?:,|$)/y;
const VERSION = /^[1-9][0-9]{0,9}$/;

export function parseIfMatch(header: string | undefined): IfMatch | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === "*") return { kind: "any" };
  const versions: number[] = [];
  LIST_ITEM.lastIndex = 0;
  let items = 0;
  while (LIST_ITEM.lastIndex < header.length) {
    const match = LIST_ITEM.exec(header);
    if (!match) break;
    items++;
    // If-Match compares strongly: a weak tag never matches, nor does a tag this API never issues.
    if (!match[1] && VERSION.test(match[2]!)) versions.push(Number(match[2]));
  }
  if (items === 0 || LIST_ITEM.lastIndex < header.length) {
    const message = 'Send "*" or entity tags such as "3", as given in ETag.';
    throw new ApiError("invalid_request", `header.if-match: ${message}`, { errors: [{ path: "header.if-match", message }] });
  }
  return { kind: "versions", versions };
}

export function ifMatchHolds(condition: IfMatch, currentVersion: number | undefined): boolean {
  if (currentVersion === undefined) return false;
  return condition.kind === "any" || condition.versions.includes(currentVersion);
}
