/**
 * Text an operator sends to a person's terminal (a message, a termination
 * notice): one line, no control characters (so it cannot move the cursor,
 * retitle the window or reach the clipboard), bounded.
 */

/** What a terminated person is told when the operator gave no message. */
export const DEFAULT_TERMINATE_MESSAGE = 'recgate: session terminated by an operator';

/** Longest message shown to a person. */
export const MAX_MESSAGE = 500;

export function cleanMessage(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').trim().slice(0, MAX_MESSAGE);
}
