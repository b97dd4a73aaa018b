/**
 * Why a person is not let in, in neutral words. A proxy turns a Refusal into
 * its own protocol's words (an ErrorResponse with a SQLSTATE, an ERR packet,
 * a line on an SSH channel's stderr); the kind tells it which words.
 *
 * The messages never tell apart what a person may not learn: a wrong
 * password from an unknown user, a target that does not exist from one they
 * may not reach.
 */
import { GatewayError } from '../errors.js';
import type { Lock } from './locks.js';

export type RefusalKind =
  /** The address reached the failed-login limit. */
  | 'too-many-failures'
  /** Wrong credentials, an unknown user, or no target in the login name. */
  | 'login-failed'
  /** The target does not exist, or this person may not reach it. */
  | 'no-such-target'
  /** The person may reach the target, but it speaks another protocol. */
  | 'wrong-protocol'
  /** The gateway could not reach the target or log in to it; `cause` is the proxy's own error. */
  | 'target'
  /** The target requires a recording, and it cannot be written. */
  | 'recording'
  /** An operator locked this person out of the target or the gateway until a time; the message is the operator's. */
  | 'locked';

export class Refusal extends GatewayError {
  constructor(
    readonly kind: RefusalKind,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super('RG_ERR_AUTH', message, options);
  }
}

export const REFUSED = {
  tooManyFailures: (): Refusal => new Refusal('too-many-failures', 'too many failed logins from your address; try again later'),
  loginFailed: (): Refusal => new Refusal('login-failed', 'authentication failed'),
  noSuchTarget: (target: string): Refusal => new Refusal('no-such-target', `there is no target named ${target} that you may reach`),
  wrongProtocol: (target: string, protocol: string, asked: string): Refusal =>
    new Refusal('wrong-protocol', `${target} is a ${protocol} target; reach it through the gateway's ${protocol} listener, not ${asked}`),
  locked: (lock: Lock): Refusal => new Refusal('locked', lockedMessage(lock)),
};

/** "<operator's message> (locked out of pg01 until 2026-12-03 06:00 UTC)". */
export function lockedMessage(lock: Lock): string {
  const until = lock.until.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
  const place = lock.scope === 'gateway' ? 'the gateway' : (lock.target ?? 'this target');
  // The gateway's own prefix is added by each proxy's words; the default terminate message carries one.
  const said = lock.message.replace(/^recgate:\s*/, '').trim();
  return `${said === '' ? 'locked out by an operator' : said} (locked out of ${place} until ${until})`;
}
