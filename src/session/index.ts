export { Session, RECORDING_FAILED_MESSAGE } from './session.js';
export type { EndReason, SessionEnd, SessionGateway, SessionHooks, SessionOptions, SessionWho } from './session.js';
export { SessionRegistry, sessionInfo, type SessionInfo } from './registry.js';
export { DEFAULT_WARN_BEFORE, describeDuration, warningLead } from './limits.js';
