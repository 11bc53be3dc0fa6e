import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/http/problem.ts";
import { etagOf, ifMatchHolds, parseIfMatch } from "../../src/storage/maps/etag.ts";

describe("ETag and If-Match", () => {
  it("tags a version strongly", () => {
    expect(etagOf(7)).toBe('"7"');
  });

  it("parses versions, lists and *", () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch('"3"')).toEqual({ kind: "versions", versions: [3] });
    expect(parseIfMatch(' "3" , "5",W/"6", "abc" ')).toEqual({ kind: "versions", versions: [3, 5] });
    expect(parseIfMatch("*")).toEqual({ kind: "any" });
    expect(parseIfMatch('"03"')).toEqual({ kind: "versions", versions: [] });
  });

  it.each(["", "  ", "3", '"3', '"3" "4"', "W/3", '"3",,x'])("answers 400 to %j", (header) => {
    expect(() => parseIfMatch(header)).toThrow(ApiError);
    try {
      parseIfMatch(header);
    } catch (error) {
      expect((error as ApiError).code).toBe("invalid_request");
    }
  });

  it("holds only for an existing record at a listed version", () => {
    expect(ifMatchHolds({ kind: "versions", versions: [3] }, 3)).toBe(true);
    expect(ifMatchHolds({ kind: "versions", versions: [3] }, 4)).toBe(false);
    expect(ifMatchHolds({ kind: "versions", versions: [3] }, undefined)).toBe(false);
    expect(ifMatchHolds({ kind: "any" }, 1)).toBe(true);
    expect(ifMatchHolds({ kind: "any" }, undefined)).toBe(false);
  });
});
