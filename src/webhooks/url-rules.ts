import { ApiError } from "../http/problem.ts";

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost"]);

/** `https://` anywhere; plain `http://` to this machine only in development. Throws a 400 otherwise. */
export function checkEndpointUrl(value: string, environment: string): string {
  const invalid = (message: string) => new ApiError("invalid_request", message, { errors: [{ path: "body.url", message }] });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid("Not a URL.");
  }
  if (url.username || url.password) throw invalid("The URL must not carry credentials.");
  if (url.protocol === "https:") return url.toString();
  if (url.protocol === "http:" && environment === "development" && LOCAL_HOSTS.has(url.hostname)) return url.toString();
  throw invalid(environment === "development" ? "Use https://, or http://127.0.0.1 or http://localhost." : "Use https://.");
}
