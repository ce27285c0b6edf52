// 管理员的页面：志愿者聘任、令牌、节假日日历、参考数据。
export const admin = {};
