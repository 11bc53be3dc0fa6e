export const REALTIME_PATH = "/v1/realtime";
export const TICKETS_PATH = "/v1/realtime/tickets";
