import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/api";
import { apiMessage, errorText } from "../../src/errors";

const labels = { title: "线索标题", "location.address": "详细地址", "reporter.phone": "电话" };
const keys = { title: "title", location: "location", reporter: "reporter" };

describe("errorText", () => {
  it("puts a field's error next to that field, in Chinese", () => {
    expect(errorText(new ApiError(400, "missing_field", "title", "title is required"), labels, keys))
      .toEqual({ key: "title", text: "请填写线索标题。" });
    expect(errorText(new ApiError(400, "too_long", "location.address", "…"), labels, keys))
      .toEqual({ key: "location", text: "详细地址太长了。" });
    expect(errorText(new ApiError(400, "invalid_value", "reporter.phone", "…"), labels, keys))
      .toEqual({ key: "reporter", text: "电话的内容不符合要求。" });
  });

  it("puts an error about one item of a list next to the list", () => {
    expect(errorText(new ApiError(400, "invalid_value", "attachments[1].sha256", "…"),
      { attachments: "材料" }, { attachments: "attachments" }).key).toBe("attachments");
  });

  it("says what happened when no field is named", () => {
    expect(errorText(new ApiError(0, "network", null, ""), labels, keys).text)
      .toBe("无法连接服务器，请检查网络后重试。");
    expect(errorText(new ApiError(429, "rate_limited", null, ""), labels, keys).text)
      .toBe("提交太频繁，请一分钟后再试。");
    expect(errorText(new ApiError(503, "unavailable", null, "down"), labels, keys))
      .toEqual({ key: null, text: "服务暂时不可用，您填写的内容没有提交，请稍后重试。" });
    // A code of the API's that no field is concerned with: in plain words.
    expect(errorText(new ApiError(409, "conflict", "expected_version", "…"), labels, keys))
      .toEqual({ key: null, text: "内容刚刚被别人修改过，请刷新后再试。" });
    expect(apiMessage(new ApiError(403, "forbidden", null, "only the chief")))
      .toBe("您的角色不能进行这一步。");
    expect(apiMessage(new TypeError("x"))).toBe("无法连接服务器，请检查网络后重试。");
    // A code the console does not know: shown with the API's own words.
    expect(errorText(new ApiError(400, "unknown_property", "colour", "no such member"), labels, keys))
      .toEqual({ key: null, text: "提交没有成功（unknown_property）：no such member" });
  });
});
