// 市、省检察院的页面：下级的队列和案件、统计图。
export const upper = {};
