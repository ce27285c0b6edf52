import { afterEach, describe, expect, it, vi } from "vitest";
import { keysetList } from "../../src/keyset";

/** fetch answering each call with the next of `answers` (status, body). */
function answering(answers: [number, unknown][]) {
  const calls: string[] = [];
  vi.stubGlobal("fetch", async (url: string) => {
    calls.push(url);
    const [status, body] = answers.shift() ?? [500, null];
    return new Response(JSON.stringify(body), { status });
  });
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

describe("a list in keyset pages", () => {
  it("loads the first page, appends the next with `after`, and starts again", async () => {
    const calls = answering([
      [200, { items: [1, 2], next: "1.a" }],
      [200, { items: [3], next: null }],
      [200, { items: [9], next: null }],
    ]);
    const list = keysetList<number>("/api/v1/tokens", 2);
    await list.load();
    expect([list.items.value, list.next.value]).toEqual([[1, 2], "1.a"]);
    await list.load(true);
    expect([list.items.value, list.next.value, list.loading.value]).toEqual([[1, 2, 3], null, false]);
    await list.load();
    expect(list.items.value).toEqual([9]);
    expect(calls).toEqual(["/api/v1/tokens?limit=2", "/api/v1/tokens?limit=2&after=1.a", "/api/v1/tokens?limit=2"]);
  });

  it("says a failure in Chinese and keeps what it had", async () => {
    answering([
      [200, { items: [1], next: "1.a" }],
      [403, { error: { code: "forbidden", message: "no", field: null } }],
    ]);
    const list = keysetList<number>("/api/v1/tokens");
    await list.load();
    await list.load(true);
    expect(list.items.value).toEqual([1]);
    expect(list.failed.value).toBe("您的角色不能进行这一步。");
  });
});
