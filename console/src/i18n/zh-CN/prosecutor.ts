// 检察官和检察长的页面：队列、线索、案件、决定。
export const prosecutor = {};
