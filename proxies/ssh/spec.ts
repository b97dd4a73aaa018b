/**
 * What the SSH proxy tells the configuration: `listen.ssh`, port 22 on
 * targets, login by password or private key, and the target keys
 *
 *   hostKey          "SHA256:<base64>" as `ssh-keygen -l` prints it, or
 *                    trust-on-first-use; without it the gateway refuses the target
 *   portForwarding   let people open direct-tcpip forwards through the target
 */
import { bool, Invalid, optional, text, withDefault } from '../../src/config/fields.js';
import { decodeBase64 } from '../../src/config/formats.js';
import type { ProtocolSpec } from '../../src/config/protocols.js';

/** The value that asks the gateway to remember a target's SSH host key on first connection. */
export const TRUST_ON_FIRST_USE = 'trust-on-first-use';

export type SshTargetOptions = {
  /** A pinned fingerprint, trust-on-first-use, or null (the target is refused). */
  readonly hostKey: string | null;
  readonly portForwarding: boolean;
};

/** `SHA256:<unpadded base64 of 32 bytes>` as `ssh-keygen -l` prints it, or trust-on-first-use. */
export function checkHostKey(pin: string): string | null {
  if (pin === TRUST_ON_FIRST_USE) return null;
  const match = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(pin);
  const digest = match?.[1] === undefined ? null : decodeBase64(`${match[1]}=`);
  return digest?.length === 32 ? null : `expected "SHA256:<base64>" as ssh-keygen -l prints it, or "${TRUST_ON_FIRST_USE}"`;
}

function hostKey(value: unknown): string {
  const pin = text(value).trim();
  const problem = checkHostKey(pin);
  if (problem !== null) throw new Invalid(problem);
  return pin === TRUST_ON_FIRST_USE ? pin : pin.replace(/=$/, '');
}

export const sshSpec: ProtocolSpec = {
  name: 'ssh',
  defaultPort: 22,
  defaultListen: '127.0.0.1:2222',
  login: { privateKey: true },
  targetOptions: {
    keys: { hostKey: optional(hostKey), portForwarding: withDefault(false, bool) },
    resolve: (parsed): SshTargetOptions => ({ hostKey: (parsed.hostKey as string | undefined) ?? null, portForwarding: parsed.portForwarding as boolean }),
  },
};
