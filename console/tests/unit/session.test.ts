import { describe, expect, it } from "vitest";
import { query } from "../../src/api";
import { levelOf } from "../../src/session";

describe("levelOf", () => {
  it("reads the level of a procuratorate from its region code", () => {
    expect(levelOf("000000")).toBe("supreme");
    expect(levelOf("140000")).toBe("province");
    expect(levelOf("140200")).toBe("city");
    expect(levelOf("140213")).toBe("county");
  });
});

describe("query", () => {
  it("leaves out the members that are not set and escapes the rest", () => {
    expect(query({})).toBe("");
    expect(query({ queue: "", after: null, stage: undefined })).toBe("");
    expect(query({ queue: "mine", limit: 20, after: "a b&c" })).toBe(
      "?queue=mine&limit=20&after=a+b%26c",
    );
  });
});
