import { describe, expect, it } from "vitest";
import {
  applicationBody,
  baseName,
  beijingToday,
  checkApplication,
  daysBetween,
  dueState,
  hex,
  photoType,
  splitReferences,
  termState,
  termText,
  utf8Length,
  type Application,
} from "../../src/components/volunteer/volunteer";
import { stepName } from "../../src/dict";

const good: Application = {
  login: "li.ming",
  password: "correct horse",
  name: "李明",
  phone: "+86 138-0000-0000",
  email: "",
  procuratorate: "140213",
  expertise: ["ecology"],
  roles: ["assessor"],
  statement: "",
};

describe("checkApplication", () => {
  it("passes a complete application and sends it trimmed, without empty optional members", () => {
    expect(checkApplication(good)).toEqual({});
    expect(applicationBody({ ...good, login: " li.ming ", email: " a@b.cn " })).toEqual({
      login: "li.ming",
      password: "correct horse",
      name: "李明",
      phone: "+86 138-0000-0000",
      email: "a@b.cn",
      procuratorate: "140213",
      expertise: ["ecology"],
      roles: ["assessor"],
    });
  });

  it("names each field that breaks the API's rule, in Chinese", () => {
    const e = checkApplication({
      ...good,
      login: "Li",
      password: "short",
      phone: "1234",
      email: "not-mail",
      procuratorate: "",
      roles: [],
    });
    expect(Object.keys(e).sort()).toEqual(["email", "login", "password", "phone", "procuratorate", "roles"]);
    expect(e.password).toBe("密码需要 10–128 位。");
    expect(e.procuratorate).toBe("请选择申请服务的检察院。");
  });

  it("counts the password in bytes, as the API does", () => {
    expect(utf8Length("密码密码")).toBe(12);
    expect(checkApplication({ ...good, password: "密码密码" })).toEqual({}); // 12 bytes
    expect(checkApplication({ ...good, password: "密码密" }).password).toBeTruthy(); // 9 bytes
    expect(checkApplication({ ...good, password: "x".repeat(129) }).password).toBeTruthy();
  });

  it("asks for what is missing", () => {
    const e = checkApplication({ ...good, login: "", name: " ", phone: "" });
    expect(e.login).toBe("请填写登录名。");
    expect(e.name).toBe("请填写姓名。");
    expect(e.phone).toBe("请填写手机号码。");
  });
});

describe("due dates and the term", () => {
  const now = Date.parse("2026-10-03T12:00:00+08:00");
  it("marks overdue and due within a day", () => {
    expect(dueState("2026-10-03T11:59:00+08:00", now)).toBe("overdue");
    expect(dueState("2026-10-04T11:00:00+08:00", now)).toBe("soon");
    expect(dueState("2026-10-05T12:00:00+08:00", now)).toBe("ok");
  });

  it("takes today's Beijing day, not UTC's", () => {
    // 2026-10-03 23:30 in UTC is already the 4th in Beijing.
    expect(beijingToday(Date.parse("2026-10-03T23:30:00Z"))).toBe("2026-10-04");
  });

  it("says how long the term runs, the last day still in term", () => {
    expect(daysBetween("2026-02-27", "2026-03-01")).toBe(2);
    expect(termState("2026-01-01", "2028-12-31", "2026-12-31")).toEqual({ kind: "active", days: 731 });
    expect(termText(termState("2026-01-01", "2026-10-13", "2026-10-03"))).toBe("还有 10 天到期");
    expect(termText(termState("2026-01-01", "2026-10-03", "2026-10-03"))).toBe("今天到期");
    expect(termText(termState("2025-01-01", "2026-10-02", "2026-10-03"))).toBe(
      "聘期已于 2026-10-02 结束，请联系检察院续聘。",
    );
    expect(termState("2026-11-01", "2027-10-31", "2026-10-03").kind).toBe("notStarted");
    expect(termState(null, null, "2026-10-03").kind).toBe("none");
  });
});

describe("answers and photos", () => {
  it("takes references one a line", () => {
    expect(splitReferences("《民法典》第1234条\n\n  GB 3838-2002 \r\n")).toEqual(["《民法典》第1234条", "GB 3838-2002"]);
  });

  it("gives each photo a type the API takes, from the name when the browser has none", () => {
    expect(photoType("a.jpg", "image/jpeg")).toBe("image/jpeg");
    expect(photoType("IMG_0001.HEIC", "")).toBe("image/heic");
    expect(photoType("scan.pdf", "application/pdf")).toBeNull();
    expect(photoType("noext", "")).toBeNull();
    expect(baseName("C:\\fakepath\\river.png")).toBe("river.png");
  });

  it("writes a digest as lower-case hex", () => {
    expect(hex(new Uint8Array([0, 15, 171, 255]).buffer)).toBe("000fabff");
  });
});

describe("a clue's status in 我的线索", () => {
  it("is the public timeline's wording, the workflow's label first, else the code", () => {
    expect(stepName("received")).toBe("已受理");
    expect(stepName("accepted", undefined)).toBe("检察院已接收");
    expect(stepName("case_closed", "已结案（整改完毕）")).toBe("已结案（整改完毕）");
    expect(stepName("case_progress", "已完成磋商")).toBe("已完成磋商");
    expect(stepName("a_new_step", null)).toBe("a_new_step");
  });
});
