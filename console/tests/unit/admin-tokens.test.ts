import { describe, expect, it } from "vitest";
import { ISSUABLE_ROLES, procsInScope, scopePrefix, subValid } from "../../src/pages/admin/admin";
import { t } from "../../src/i18n/zh-CN";

const regions = [
  { code: "000000" },
  { code: "140000" },
  { code: "140100" },
  { code: "140105" },
  { code: "140200" },
  { code: "140212" },
  { code: "140213" },
  { code: "320000" },
];

describe("the procuratorates an administrator issues tokens for", () => {
  it("follow the services' scope prefix", () => {
    expect(scopePrefix("140000")).toBe("14");
    expect(scopePrefix("140200")).toBe("1402");
    expect(scopePrefix("140213")).toBe("140213");
    expect(scopePrefix("1402")).toBe("");
    expect(scopePrefix("")).toBe("");
  });

  it("are its own first, then those below it", () => {
    expect(procsInScope("140200", regions)).toEqual(["140200", "140212", "140213"]);
    expect(procsInScope("140213", regions)).toEqual(["140213"]);
    expect(procsInScope("140000", regions)).toEqual(["140000", "140100", "140105", "140200", "140212", "140213"]);
    expect(procsInScope("", regions)).toEqual([]);
  });
});

describe("a token's holder and role", () => {
  it("is printable ASCII without spaces, up to 64", () => {
    expect(subValid("zhang.san")).toBe(true);
    expect(subValid("x".repeat(64))).toBe(true);
    expect(subValid("x".repeat(65))).toBe(false);
    expect(subValid("zhang san")).toBe(false);
    expect(subValid("张三")).toBe(false);
    expect(subValid("")).toBe(false);
  });

  it("has a Chinese label for every role the router issues, and never a volunteer's", () => {
    for (const r of ISSUABLE_ROLES) expect(t.admin.tokens.roles[r]).toMatch(/[\u4e00-\u9fff]/);
    expect(ISSUABLE_ROLES as readonly string[]).not.toContain("volunteer");
  });
});
