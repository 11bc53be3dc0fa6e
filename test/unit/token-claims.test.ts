import { describe, expect, it } from "vitest";
import { tokenClaims } from "../../src/tokens/issue-token.ts";

describe("tokenClaims", () => {
  it("carries exactly tid, sub, scope, iat, exp and jti, with the default hour and both scopes", () => {
    const claims = tokenClaims("ten_x", { sub: "u" }, 1000, "j1");
    expect(claims).toEqual({ tid: "ten_x", sub: "u", scope: "read write", iat: 1000, exp: 4600, jti: "j1" });
  });

  it("orders scopes canonically and honours the ttl", () => {
    expect(tokenClaims("ten_x", { sub: "u", scopes: ["write", "read"], ttlSeconds: 5 }, 10, "j")).toMatchObject({ scope: "read write", exp: 15 });
    expect(tokenClaims("ten_x", { sub: "u", scopes: ["write"] }, 10, "j").scope).toBe("write");
  });
});
