/**
 * What the RDP proxy tells the configuration: `listen.rdp`, port 3389 on
 * targets, TLS with the gateway certificate towards clients, and the target
 * keys
 *
 *   hostKey     the target's TLS certificate: "SHA256:<base64>" of the DER
 *               certificate (`openssl x509 -outform der | openssl dgst
 *               -sha256 -binary | base64`), or trust-on-first-use; without it
 *               the gateway refuses the target
 *   clipboard   none | to-target (default) | both: which way text and files
 *               may be copied; every transfer is an event
 *   redirect    the device redirections a person may use: drive, printer,
 *               smartcard, port (default none: the target is not offered
 *               the device channel; with some named, the person's device
 *               list reaches the target with only those kinds)
 *
 * The default clipboard lets a person paste into the target but not copy
 * out of it: the usual need (a command, a path) without a way to carry the
 * target's data off.
 */
import { Invalid, oneOf, optional, withDefault, type Parse } from '../../src/config/fields.js';
import type { ProtocolSpec } from '../../src/config/protocols.js';
import { hostKeyPin } from '../wire/target-pins.js';

export const CLIPBOARD_POLICIES = ['none', 'to-target', 'both'] as const;
export type ClipboardPolicy = (typeof CLIPBOARD_POLICIES)[number];

export const REDIRECTIONS = ['drive', 'printer', 'smartcard', 'port'] as const;
export type Redirection = (typeof REDIRECTIONS)[number];

export type RdpTargetOptions = {
  /** A pinned certificate fingerprint, trust-on-first-use, or null (the target is refused). */
  readonly hostKey: string | null;
  readonly clipboard: ClipboardPolicy;
  readonly redirect: readonly Redirection[];
};

const redirection = oneOf(REDIRECTIONS, 'redirection');

const redirections: Parse<Redirection[]> = (value) => {
  if (!Array.isArray(value)) throw new Invalid(`expected a list of ${REDIRECTIONS.join(', ')}`);
  return [...new Set(value.map((item) => redirection(item)))];
};

export const rdpSpec: ProtocolSpec = {
  name: 'rdp',
  defaultPort: 3389,
  gatewayCertificate: true,
  targetOptions: {
    keys: {
      hostKey: optional(hostKeyPin('of the DER certificate')),
      clipboard: withDefault<ClipboardPolicy>('to-target', oneOf(CLIPBOARD_POLICIES, 'clipboard policy')),
      redirect: withDefault<Redirection[]>([], redirections),
    },
    resolve: (parsed): RdpTargetOptions => ({
      hostKey: (parsed.hostKey as string | undefined) ?? null,
      clipboard: parsed.clipboard as ClipboardPolicy,
      redirect: parsed.redirect as Redirection[],
    }),
  },
};
