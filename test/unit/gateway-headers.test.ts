import { describe, expect, it } from "vitest";
import { forwardableRequestHeaders, forwardableResponseHeaders, forwardedHeader } from "../../src/gateway/headers.ts";
import { signatureBase, signatureHeaders } from "../../src/gateway/signature.ts";
import { mergeGateway } from "../../src/gateway/settings.ts";

describe("gateway request headers", () => {
  it("drop the credential, Tenantry-*, hop-by-hop headers and those Connection names", () => {
    const incoming = new Headers({
      Authorization: "Bearer tk_secret",
      "Tenantry-Tenant-Id": "ten_spoof",
      Connection: "keep-alive, X-Private",
      "X-Private": "1",
      "Keep-Alive": "timeout=5",
      "Proxy-Authorization": "x",
      TE: "trailers",
      Trailer: "X-T",
      Upgrade: "h2c",
      Forwarded: "for=6.6.6.6",
      Expect: "100-continue",
      "X-Kept": "yes",
      "Content-Type": "text/plain",
    });
    const out = forwardableRequestHeaders(incoming, false);
    expect([...out.keys()].sort()).toEqual(["content-type", "x-kept"]);
  });

  it("keep Upgrade for a WebSocket handshake", () => {
    const out = forwardableRequestHeaders(new Headers({ Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Key": "k" }), true);
    expect(out.get("upgrade")).toBe("websocket");
    expect(out.get("sec-websocket-key")).toBe("k");
    expect(out.has("connection")).toBe(false);
  });

  it("drop an origin's hop-by-hop response headers and keep each Set-Cookie line", () => {
    const incoming = new Headers({ Connection: "keep-alive, X-Hop", "Keep-Alive": "timeout=5", "X-Hop": "1", "Transfer-Encoding": "chunked", "Content-Type": "text/plain" });
    incoming.append("Set-Cookie", "a=1; Path=/");
    incoming.append("Set-Cookie", "b=2; Path=/");
    const out = forwardableResponseHeaders(incoming);
    expect([...new Set(out.keys())].sort()).toEqual(["content-type", "set-cookie"]);
    expect([...out].filter(([name]) => name === "set-cookie").map(([, value]) => value)).toEqual(["a=1; Path=/", "b=2; Path=/"]);
  });

  it("say who forwarded, per RFC 7239", () => {
    expect(forwardedHeader("203.0.113.7", "https", "api.example.com")).toBe("for=203.0.113.7;proto=https;host=api.example.com");
    expect(forwardedHeader("2001:db8::1", "https", "127.0.0.1:8787")).toBe('for="[2001:db8::1]";proto=https;host="127.0.0.1:8787"');
    expect(forwardedHeader(null, "http", null)).toBe("for=unknown;proto=http");
  });
});

describe("gateway signature base", () => {
  it("is RFC 9421's: one line per component, then @signature-params", () => {
    const headers = new Headers({ "tenantry-tenant-id": "ten_1", "tenantry-credential": "key_1", "tenantry-scopes": "read", "tenantry-request-id": "req_1" });
    expect(signatureBase({ method: "post", targetUri: "https://o.example/a?b=c", headers, created: 1700000000, keyId: "k1" })).toBe(
      [
        '"@method": POST',
        '"@target-uri": https://o.example/a?b=c',
        '"tenantry-tenant-id": ten_1',
        '"tenantry-credential": key_1',
        '"tenantry-scopes": read',
        '"tenantry-request-id": req_1',
        '"@signature-params": ("@method" "@target-uri" "tenantry-tenant-id" "tenantry-credential" "tenantry-scopes" "tenantry-request-id");created=1700000000;keyid="k1";alg="hmac-sha256"',
      ].join("\n"),
    );
  });
});

describe("gateway signature", () => {
  it("is the same from header values as from a Headers object", async () => {
    const values = { "tenantry-tenant-id": "ten_1", "tenantry-credential": "jwt:u1", "tenantry-scopes": "read,write", "tenantry-request-id": "req_1" };
    const input = { method: "get", targetUri: "https://o.example/x", created: 1700000000, keyId: "default" };
    const fromValues = await signatureHeaders({ ...input, headers: values }, "s3cret");
    const fromHeaders = await signatureHeaders({ ...input, headers: new Headers(values) }, "s3cret");
    expect(fromValues).toEqual(fromHeaders);
    expect(fromValues.signatureInput).toBe('tenantry=("@method" "@target-uri" "tenantry-tenant-id" "tenantry-credential" "tenantry-scopes" "tenantry-request-id");created=1700000000;keyid="default";alg="hmac-sha256"');
    // Another secret, another signature (the imported key is cached per secret).
    expect((await signatureHeaders({ ...input, headers: values }, "other")).signature).not.toBe(fromValues.signature);
  });
});

describe("gateway settings merge patch", () => {
  it("merges members, resets the timeout with null and removes everything with null", () => {
    const current = { origin: "https://a.example", timeoutMs: 5000 };
    expect(mergeGateway(current, { timeoutMs: 2000 })).toEqual({ origin: "https://a.example", timeoutMs: 2000 });
    expect(mergeGateway(current, { timeoutMs: null })).toEqual({ origin: "https://a.example", timeoutMs: 30000 });
    expect(mergeGateway(current, { origin: "https://b.example" })).toEqual({ origin: "https://b.example", timeoutMs: 5000 });
    expect(mergeGateway(current, null)).toBeNull();
    expect(() => mergeGateway(null, { timeoutMs: 2000 })).toThrow();
  });
});
