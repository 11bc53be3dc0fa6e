import { ApiError } from "../../http/problem.ts";
import { checkKey, checkMapName, checkPrefix, percentDecode } from "./names.ts";

/**
 * Addresses come from the raw, still percent-encoded URL, never from a router's decoded copy: a key
 * is exactly one path segment, decoded once, so `/` inside a key travels as `%2F` and `%252F` stays the
 * literal text `%2F`. A request with more segments is refused rather than guessed at.
 */
const BASE = "/v1/maps/";

function segmentsAfterBase(pathname: string): string[] {
  if (!pathname.startsWith(BASE)) throw new ApiError("not_found", "No such map route.");
  return pathname.slice(BASE.length).split("/");
}

export function mapFromPath(pathname: string): string {
  const [map = "", ...rest] = segmentsAfterBase(pathname);
  if (rest.length > 0) throw new ApiError("not_found", "No such map route.");
  return checkMapName(percentDecode(map, "path.map"));
}

export interface RecordAddress {
  map: string;
  key: string;
}

export function recordFromPath(pathname: string): RecordAddress {
  const segments = segmentsAfterBase(pathname);
  const map = checkMapName(percentDecode(segments[0] ?? "", "path.map"));
  if (segments.length > 2) {
    const message = "A key is one path segment: percent-encode '/' in keys as %2F.";
    throw new ApiError("invalid_request", `path.key: ${message}`, { errors: [{ path: "path.key", message }] });
  }
  return { map, key: checkKey(percentDecode(segments[1] ?? "", "path.key")) };
}

/**
 * The first `name` parameter of a raw query string, decoded strictly (form encoding: `+` is a space),
 * so a malformed encoding is a 400 instead of being passed through as literal text.
 */
export function queryValue(search: string, name: string): string | undefined {
  const query = search.startsWith("?") ? search.slice(1) : search;
  if (query === "") return undefined;
  for (const pair of query.split("&")) {
    const separator = pair.indexOf("=");
    const rawName = separator === -1 ? pair : pair.slice(0, separator);
    let decodedName: string;
    try {
      decodedName = decodeURIComponent(rawName.replaceAll("+", " "));
    } catch {
      continue;
    }
    if (decodedName !== name) continue;
    return percentDecode(separator === -1 ? "" : pair.slice(separator + 1).replaceAll("+", " "), `query.${name}`);
  }
  return undefined;
}

export function prefixFromQuery(search: string): string {
  return checkPrefix(queryValue(search, "prefix") ?? "");
}
