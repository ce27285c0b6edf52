// 志愿者的页面：申请、我的线索、我的任务、聘书。
export const volunteer = {};
