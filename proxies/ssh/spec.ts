/**
 * What the SSH proxy tells the configuration: `listen.ssh`, port 22 on
 * targets, login by password or private key, and the target keys
 *
 *   hostKey          "SHA256:<base64>" as `ssh-keygen -l` prints it, or
 *                    trust-on-first-use; without it the gateway refuses the target
 *   portForwarding   let people open direct-tcpip forwards through the target
 */
import { bool, optional, withDefault } from '../../src/config/fields.js';
import type { ProtocolSpec } from '../../src/config/protocols.js';
import { hostKeyPin } from '../wire/target-pins.js';

export type SshTargetOptions = {
  /** A pinned fingerprint, trust-on-first-use, or null (the target is refused). */
  readonly hostKey: string | null;
  readonly portForwarding: boolean;
};

export const sshSpec: ProtocolSpec = {
  name: 'ssh',
  defaultPort: 22,
  defaultListen: '127.0.0.1:2222',
  login: { privateKey: true },
  targetOptions: {
    keys: { hostKey: optional(hostKeyPin('as ssh-keygen -l prints it')), portForwarding: withDefault(false, bool) },
    resolve: (parsed): SshTargetOptions => ({ hostKey: (parsed.hostKey as string | undefined) ?? null, portForwarding: parsed.portForwarding as boolean }),
  },
};
