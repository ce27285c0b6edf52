// The signed-in console's frame: login, the menu, who is signed in.
export const staff = {
  login: {
    title: "登录",
    volunteerTab: "志愿者",
    staffTab: "检察人员",
    login: "登录名",
    password: "密码",
    token: "令牌",
    tokenHelp:
      "检察人员和管理员使用管理员签发的令牌（以 gy1. 开头）登录。令牌只保存在浏览器不可读取的 Cookie 中，页面脚本无法取得。",
    send: "登录",
    sending: "正在登录……",
    apply: "还不是志愿者？申请成为志愿者",
    errors: {
      invalid_credentials: "登录名或密码不正确。",
      invalid_token: "令牌无效或已过期，请向管理员重新申请。",
      not_appointed: "您尚未被聘任或已暂停聘任，暂不能登录。",
      term_expired: "您的聘期已结束，请联系检察院续聘。",
      rate_limited: "尝试太频繁，请一分钟后再试。",
      required: "请填写{field}。",
    },
  },
  frame: {
    menu: "功能菜单",
    logout: "退出登录",
    signedInAs: "{proc} · {role} · {subject}",
    expired: "登录已过期，请重新登录。",
    forbidden: "您的角色不能使用这个页面。",
    backHome: "回到首页",
    notFound: "没有这个页面。",
  },
  roles: {
    volunteer: "志愿者",
    prosecutor: "检察官",
    chief_prosecutor: "检察长",
    admin: "管理员",
  } as Record<string, string>,
  groups: {
    volunteer: "志愿者工作",
    handling: "线索和案件",
    decisions: "检察长决定",
    overview: "统计和下级",
    admin: "系统管理",
  } as Record<string, string>,
  states: {
    loading: "正在载入……",
    loadFailed: "没有载入，请稍后重试。",
    retry: "重试",
  },
};
