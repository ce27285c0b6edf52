import { describe, expect, it } from "vitest";
import {
  checkStep,
  documentKinds,
  emptyStepForm,
  extendable,
  issuesDocument,
  stepBody,
  stepMembers,
} from "../../src/components/cases/logic";
import type { Deadline } from "../../src/components/cases/caseApi";

describe("stepMembers", () => {
  it("asks each event for exactly the members the API takes", () => {
    expect(stepMembers("issue_suggestion")).toEqual([]);
    expect(stepMembers("serve_suggestion")).toEqual(["harm_ongoing"]);
    for (const e of ["record_judgment", "record_ruling", "record_appeal_decision"])
      expect(stepMembers(e)).toEqual(["judgment_kind"]);
    expect(stepMembers("close")).toEqual(["outcome", "public_outcome"]);
    expect(stepMembers("terminate")).toEqual(["outcome", "public_outcome"]);
    expect(stepMembers("suspend")).toEqual(["suspension_reason"]);
    expect(stepMembers("extend_period")).toEqual(["extension"]);
    expect(stepMembers("file_suggestion_upward")).toEqual([]);
  });
});

describe("stepBody", () => {
  it("sends the reason, the version and no member of another event", () => {
    const f = { ...emptyStepForm(true), reason: " 调查终结 ", public_outcome: "x", rule: "r" };
    expect(stepBody("issue_suggestion", f, 4)).toEqual({
      event: "issue_suggestion",
      reason: "调查终结",
      expected_version: 4,
    });
    expect(stepBody("serve_suggestion", f, 5)).toEqual({
      event: "serve_suggestion",
      reason: "调查终结",
      expected_version: 5,
      harm_ongoing: true,
    });
  });

  it("leaves out optional members left empty, keeps required ones", () => {
    const f = { ...emptyStepForm(), reason: "r", public_outcome: " 已整改到位 " };
    expect(stepBody("close", f, 9)).toEqual({
      event: "close",
      reason: "r",
      expected_version: 9,
      public_outcome: "已整改到位",
    });
    expect(stepBody("record_judgment", { ...f, judgment_kind: "支持全部诉讼请求" }, 9)).toMatchObject({
      judgment_kind: "支持全部诉讼请求",
    });
    expect(stepBody("record_judgment", f, 9)).not.toHaveProperty("judgment_kind");
    expect(
      stepBody("extend_period", { ...f, rule: "review_for_suit", count: 1, unit: "months" }, 2),
    ).toEqual({
      event: "extend_period",
      reason: "r",
      expected_version: 2,
      rule: "review_for_suit",
      count: 1,
      unit: "months",
    });
  });
});

describe("checkStep", () => {
  it("names each required member that is missing, in Chinese", () => {
    expect(checkStep("issue_suggestion", emptyStepForm())).toEqual({ reason: "请填写理由。" });
    expect(checkStep("close", { ...emptyStepForm(), reason: "r" })).toEqual({
      public_outcome: "请填写公开的办理结果。",
    });
    expect(checkStep("suspend", { ...emptyStepForm(), reason: "r" })).toEqual({
      suspension_reason: "请选择中止原因。",
    });
    expect(checkStep("extend_period", { ...emptyStepForm(), reason: "r", count: 0 })).toEqual({
      rule: "请选择要延长的期限。",
      count: "延长的内容不符合要求。",
    });
    expect(checkStep("suspend", { ...emptyStepForm(), reason: "r", suspension_reason: "audit" })).toEqual({});
  });
});

describe("documents", () => {
  it("knows which document a transition needs", () => {
    expect(issuesDocument("issue_suggestion")).toBe("suggestion");
    expect(issuesDocument("terminate")).toBe("closing_decision");
    expect(issuesDocument("serve_suggestion")).toBeNull();
  });
  it("offers the kinds a case of its kind issues", () => {
    expect(documentKinds("administrative")).toContain("suggestion");
    expect(documentKinds("administrative")).not.toContain("announcement");
    expect(documentKinds("civil")).not.toContain("suggestion");
    expect(documentKinds("civil")).toContain("support_letter");
  });
});

describe("extendable", () => {
  const d = (rule: string, more: Partial<Deadline> = {}) =>
    ({ id: rule, rule, settled_at: null, missed_at: null, ...more }) as Deadline;
  it("offers open deadlines of rules that may be extended", () => {
    const list = [d("review_for_suit"), d("investigation"), d("organ_reply", { settled_at: "x" }),
      d("review_for_suit", { id: "m", missed_at: "y" })];
    expect(extendable(list).map((x) => x.id)).toEqual(["review_for_suit", "investigation"]);
    expect(extendable(list, new Set(["review_for_suit"])).map((x) => x.id)).toEqual(["review_for_suit"]);
  });
});
