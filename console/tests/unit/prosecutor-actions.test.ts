import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/api";
import {
  allowedActions,
  caseIsOpen,
  checkDecision,
  decisionBody,
  extendableRules,
  kindsOf,
  stepError,
  type DecisionForm,
  type Review,
  type RoutedClueDetail,
} from "../../src/components/prosecutor/clues";

const review = (over: Partial<Review> = {}): Review => ({
  clue_id: "c1",
  state: "under_review",
  version: 3,
  procuratorate: "140213",
  queue: "handling",
  field_code: "ecology",
  case_kinds: "both",
  priority: 60,
  assignee: null,
  case_id: null,
  reason: null,
  public_reason: null,
  routed_at: "2026-03-03T14:40:12.031+08:00",
  updated_at: "2026-03-03T14:40:12.031+08:00",
  cluster: { id: "k1", siblings: [] },
  ...over,
});

const routed = (status = "routed", over: Partial<RoutedClueDetail> = {}): RoutedClueDetail => ({
  clue: {
    id: "c1", title: "河道排污", description: "…", region_code: "140213", lat: null, lon: null,
    field_code: "ecology", field_confidence: 0.8, reporter_field_code: null, major: false,
    procuratorate: "140213", city: "140200", queue: "handling", rule: "county", priority: 60,
    cluster_id: "k1", status, received_at: "2026-03-03T06:00:00Z", routed_at: "2026-03-03T06:40:00Z",
  },
  classifications: [],
  cluster: { id: "k1", size: 1, clues: [], others: 0 },
  transfers: [],
  ...over,
});

const prosecutor = { role: "prosecutor" as const, subject: "prosecutor-140213-li" };
const chief = { role: "chief_prosecutor" as const, subject: "chief-140213" };

describe("allowedActions", () => {
  it("gives a prosecutor 我来办理 and 并案 on a clue under review, never the chief's decisions", () => {
    expect(allowedActions(review(), routed(), prosecutor)).toEqual(["take", "join", "reclassify", "transfer"]);
  });

  it("drops 我来办理 once the prosecutor has it", () => {
    expect(allowedActions(review({ assignee: prosecutor.subject }), null, prosecutor)).toEqual(["join"]);
  });

  it("gives the chief assigning, 立案 and 不立案", () => {
    expect(allowedActions(review(), null, chief)).toEqual(["assign", "open", "not_opened", "join"]);
  });

  it("offers nothing of the review's once it is decided, and no transfer of a decided clue", () => {
    for (const state of ["opened", "joined", "not_opened"])
      expect(allowedActions(review({ state }), routed(), chief)).toEqual([]);
  });

  it("offers no second transfer while one is open, and split only in a cluster of several", () => {
    const pending = routed("routed", {
      transfers: [{ status: "requested" } as RoutedClueDetail["transfers"][number]],
      cluster: { id: "k1", size: 2, clues: [], others: 1 },
    });
    expect(allowedActions(review(), pending, prosecutor)).toEqual(["take", "join", "reclassify", "split"]);
  });

  it("lets a clue the assessment left undecided be routed or rejected at the router", () => {
    expect(allowedActions(null, routed("review"), prosecutor)).toEqual(["route", "reject", "reclassify"]);
  });

  it("gives other roles nothing", () => {
    expect(allowedActions(review(), routed(), { role: "volunteer", subject: "v" })).toEqual([]);
    expect(allowedActions(review(), routed(), { role: "admin", subject: "a" })).toEqual([]);
  });
});

describe("decisions", () => {
  const base: DecisionForm = {
    decision: "open", case_kind: "", title: "", harm_ongoing: false, reason: "", public_reason: "", case_id: "",
  };

  it("lists the case kinds a field allows, administrative first", () => {
    expect(kindsOf("both")).toEqual(["administrative", "civil"]);
    expect(kindsOf("civil")).toEqual(["civil"]);
    expect(kindsOf(["civil", "administrative"])).toEqual(["administrative", "civil"]);
    expect(kindsOf(null)).toEqual([]);
  });

  it("asks for what each decision requires before sending", () => {
    expect(checkDecision(base)).toEqual({ case_kind: "请选择案件类型。" });
    expect(checkDecision({ ...base, decision: "not_opened" })).toEqual({
      reason: "请填写不立案的理由（内部）。",
      public_reason: "请填写告知举报人的理由。",
    });
    expect(checkDecision({ ...base, decision: "join" })).toEqual({ case_id: "请选择并入的案件。" });
    expect(checkDecision({ ...base, decision: "not_opened", reason: "x", public_reason: "长".repeat(501) }))
      .toEqual({ public_reason: "告知举报人的理由不能超过 500 个字。" });
  });

  it("sends only the members of the decision, with the version decided on", () => {
    const open = { ...base, case_kind: "administrative", title: " 河道案 ", reason: "", public_reason: "x", case_id: "y" };
    expect(decisionBody(open, 3)).toEqual({
      decision: "open", expected_version: 3, case_kind: "administrative", title: "河道案", harm_ongoing: false,
    });
    expect(decisionBody({ ...base, decision: "not_opened", reason: " r ", public_reason: " p " }, 4)).toEqual({
      decision: "not_opened", expected_version: 4, reason: "r", public_reason: "p",
    });
    expect(decisionBody({ ...base, decision: "join", case_id: "k", case_kind: "civil" }, 5)).toEqual({
      decision: "join", expected_version: 5, case_id: "k",
    });
  });

  it("knows a case that can take a clue", () => {
    expect(caseIsOpen("investigating")).toBe(true);
    expect(caseIsOpen("closed")).toBe(false);
    expect(caseIsOpen("terminated")).toBe(false);
  });
});

describe("stepError", () => {
  it("reloads when someone changed the clue meanwhile", () => {
    expect(stepError(new ApiError(409, "conflict", "expected_version", "stale"))).toEqual({
      key: null, text: "其他人刚刚修改了这条线索，页面已重新载入，请核对后再操作。", reload: true,
    });
    expect(stepError(new ApiError(409, "invalid_state", "state", "the review is opened")).reload).toBe(true);
  });

  it("puts a refusal next to the field it names, in Chinese", () => {
    const labels = { case_kind: "案件类型", reason: "理由" };
    expect(stepError(new ApiError(422, "case_kind_not_allowed", "case_kind", "…"), labels)).toEqual({
      key: "case_kind", text: "这个领域不能办理这一类型的案件。", reload: false,
    });
    expect(stepError(new ApiError(400, "invalid_value", "reason", "…"), labels)).toEqual({
      key: "reason", text: "理由的内容不符合要求。", reload: false,
    });
    expect(stepError(new ApiError(403, "forbidden", "event", "chief only"), labels)).toEqual({
      key: null, text: "您的角色不能办理这一步。", reload: false,
    });
    expect(stepError(new ApiError(503, "unavailable", null, "down")).text).toBe(
      "服务暂时不可用，您填写的内容没有提交，请稍后重试。",
    );
  });
});

describe("extendableRules", () => {
  it("keeps the rules with a tier the chief grants", () => {
    const limits = [
      { rule: "review_for_suit", current: true, name_zh: "审查起诉", extensions: [
        { by_role: "chief_prosecutor", count: 1, unit: "months", times: 1 },
        { by_role: "upper_procuratorate", count: 1, unit: "months", times: 1 },
      ] },
      { rule: "investigation", current: true, name_zh: "调查", extensions: [] },
    ];
    expect([...extendableRules(limits)]).toEqual(["review_for_suit"]);
  });
});
