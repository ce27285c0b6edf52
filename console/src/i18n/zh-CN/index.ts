// Every text the console shows, in one place (issue 10: zh-CN first; another
// language is another folder of the same shape).  This file holds the
// public pages' texts and joins each area's own file, so that the areas'
// pages grow without touching one another.  Coded values that are data
// (fields, regions, time limits, impact measures) come from the reference
// data APIs, never from here.
import { admin } from "./admin";
import { cases } from "./cases";
import { prosecutor } from "./prosecutor";
import { staff } from "./staff";
import { upper } from "./upper";
import { volunteer } from "./volunteer";

export const zhCN = {
  site: {
    name: "公益诉讼线索平台",
    tagline: "发现损害国家利益和社会公共利益的线索，向检察机关反映",
    nav: { submit: "反映线索", follow: "查询进度", login: "登录", work: "工作台" },
    skip: "跳到主要内容",
  },
  submit: {
    title: "反映公益诉讼线索",
    intro: "请如实填写。可以匿名反映；留下联系方式，便于检察机关核实情况。",
    fields: {
      title: "线索标题",
      description: "具体情况",
      field: "所属领域",
      region: "发生地（省 › 市 › 区县）",
      address: "详细地址",
      useLocation: "使用当前位置",
      located: "已获取位置：{lat}, {lon}",
      occurredAt: "发生时间（选填）",
      attachments: "照片、视频等材料（选填）",
      anonymous: "匿名反映",
      name: "姓名",
      phone: "电话",
      email: "电子邮箱",
    },
    placeholders: {
      title: "一句话说明问题，例如：某河段夜间有管道排放污水",
      description: "时间、地点、现象、持续多久、造成的影响……",
      address: "街道、门牌或明显的地标",
      field: "请选择领域",
      region: "请选择省、市、区县",
    },
    fieldHelp: "{name}：{description}。检察机关可以就这一领域提起{kinds}公益诉讼。",
    fieldHelpShort: "{name}：检察机关可以就这一领域提起{kinds}公益诉讼。",
    kinds: { administrative: "行政", civil: "民事", both: "行政和民事" },
    attachments: {
      help: "文件不会上传，只提交文件名、类型、大小和校验值（SHA-256）。请保留原件，检察机关核实时可以据此确认是同一份材料。最多 20 个。",
      hashing: "正在计算校验值……",
      remove: "移除",
      removeOne: "移除 {name}",
      tooMany: "最多只能附 {max} 个文件。",
      noHash: "当前浏览器不能计算文件校验值（需要 https 连接），请不附材料提交，或稍后用其他浏览器。",
      unreadable: "无法读取所选文件，请重新选择。",
    },
    asVolunteer: "您已作为志愿者（{subject}）登录：这条线索会记在您的名下，可以在“我的线索”中查看。",
    contactHelp: "联系方式加密保存，只有办理线索的检察院可以查看，每次查看都会留下记录。",
    send: "提交线索",
    sending: "正在提交……",
    loading: "正在载入领域和地区……",
    loadFailed: "领域和地区没有载入，请刷新页面再试。",
  },
  receipt: {
    title: "线索已受理",
    lead: "这是您的查询码，请妥善保存。匿名反映时，它是查询办理进度的唯一凭证，丢失后无法找回。",
    copy: "复制查询码",
    copied: "已复制",
    copyFailed: "无法复制，请手动记下查询码",
    follow: "查询办理进度",
    another: "再反映一条线索",
  },
  follow: {
    title: "查询线索办理进度",
    code: "查询码",
    placeholder: "GY-XXXXX-XXXXX-XXXXX-XXXXX",
    search: "查询",
    searching: "正在查询……",
    notFound: "没有找到这个查询码对应的线索，请核对后再试。",
    status: "当前状态",
    receivedAt: "受理时间",
    timeline: "办理进度",
    empty: "输入提交线索时得到的查询码，查看检察机关的办理进度。",
    by: "承办：{name}",
    from: "移送自：{name}",
  },
  steps: {
    received: "已受理",
    assessing: "专家评估中",
    accepted: "检察院已接收",
    transferred: "已移送",
    rejected: "不予受理",
    under_review: "线索审查中",
    not_opened: "不立案",
    case_opened: "已立案",
    joined: "已并入案件",
    suggestion_issued: "已发出检察建议",
    announced: "已发布公告",
    rectified: "已整改",
    suit_filed: "已提起公益诉讼",
    suit_supported: "已支持起诉",
    case_closed: "已结案",
    case_terminated: "已终止办理",
    case_reopened: "已重新立案",
  } as Record<string, string>,
  errors: {
    network: "无法连接服务器，请检查网络后重试。",
    unavailable: "服务暂时不可用，您填写的内容没有提交，请稍后重试。",
    rate_limited: "提交太频繁，请一分钟后再试。",
    missing_field: "请填写{field}。",
    invalid_value: "{field}的内容不符合要求。",
    too_long: "{field}太长了。",
    invalid_utf8: "{field}含有无法识别的字符。",
    unknown: "提交没有成功（{code}）：{message}",
    required: "请填写{field}。",
    choose: "请选择{field}。",
    locationNeeded: "请填写详细地址，或使用当前位置。",
    contactNeeded: "不匿名时，请至少留下一种联系方式。",
    geolocation: "无法获取当前位置，请填写详细地址。",
    // The API's codes (docs/api.md) said in Chinese where no field of the
    // form is concerned; a page's own texts may say more.
    codes: {
      unauthenticated: "请先登录。",
      invalid_token: "登录已过期，请重新登录。",
      csrf_header_missing: "请求被拒绝：请从控制台页面操作。",
      forbidden: "您的角色不能进行这一步。",
      not_found: "没有找到，可能不在您的管辖范围内，或已被删除。",
      conflict: "内容刚刚被别人修改过，请刷新后再试。",
      invalid_state: "当前状态不允许这一步，请刷新后查看可以办理的步骤。",
      unavailable: "服务暂时不可用，没有做任何修改，请稍后重试。",
      api_unavailable: "这项服务没有启用，请联系管理员。",
      rate_limited: "操作太频繁，请稍后再试。",
    } as Record<string, string>,
  },
  time: { beijing: "北京时间" },
  staff,
  volunteer,
  prosecutor,
  cases,
  upper,
  admin,
};

export type Texts = typeof zhCN;
export const t = zhCN;

/** Fills {name} placeholders. */
export function fill(text: string, values: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (_, k: string) => (k in values ? String(values[k]) : `{${k}}`));
}
