export { TerminalObserver, SECRET_PROMPT } from './observer.js';
export type { CommandEvent, KeystrokeRecord } from './echo-lines.js';
