import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/http/problem.ts";
import { encodeCursor } from "../../src/http/cursor.ts";
import { decodeListCursor, encodeListCursor, prefixEnd } from "../../src/storage/maps/key-range.ts";

const utf8 = (text: string) => Buffer.from(text, "utf8");

describe("prefixEnd", () => {
  it("increments the last code point", () => {
    expect(prefixEnd("abc")).toBe("abd");
    expect(prefixEnd("a%")).toBe("a&");
    expect(prefixEnd("a_")).toBe("a`");
    expect(prefixEnd("é")).toBe("ê");
    expect(prefixEnd("😀")).toBe("😁");
    expect(prefixEnd("\uD7FF")).toBe("\uE000");
    expect(prefixEnd("a\u{10FFFF}")).toBe("b");
    expect(prefixEnd("\u{10FFFF}\u{10FFFF}")).toBeUndefined();
  });

  it("bounds exactly the keys with the prefix, in UTF-8 byte order", () => {
    const keys = ["a", "a%", "a%b", "a%\u{10FFFF}", "a&", "a_", "ab", "aé", "a😀", "b", "é", "😀", "\uFFFF", "\u{10000}"];
    for (const prefix of ["a", "a%", "é", "😀", "\uFFFF", "a\u{10FFFF}"]) {
      const end = prefixEnd(prefix)!;
      for (const key of keys) {
        const inRange = Buffer.compare(utf8(key), utf8(prefix)) >= 0 && Buffer.compare(utf8(key), utf8(end)) < 0;
        expect(inRange, `${key} vs ${prefix}`).toBe(key.startsWith(prefix));
      }
    }
  });
});

describe("list cursors", () => {
  it("round-trip the last key of one map", () => {
    const cursor = encodeListCursor("todos", "a/😀");
    expect(decodeListCursor(cursor, "todos")).toBe("a/😀");
    expect(decodeListCursor(undefined, "todos")).toBeUndefined();
  });

  it.each([
    ["another map's cursor", encodeListCursor("other", "k")],
    ["garbage", "!!!"],
    ["base64 of non-JSON", Buffer.from("nope").toString("base64url")],
    ["a key with U+0000", encodeCursor({ m: "todos", k: "a\u0000" })],
    ["an empty key", encodeCursor({ m: "todos", k: "" })],
  ])("refuse %s with 400", (_name, cursor) => {
    expect(() => decodeListCursor(cursor, "todos")).toThrow(ApiError);
  });
});
