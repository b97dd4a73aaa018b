/**
 * The target keys every database proxy shares: how the gateway talks TLS to
 * the target, after libpq's sslmode.
 *
 *   tls     disable | prefer (default) | require | verify-full
 *   tlsCa   with verify-full: the CA bundle (PEM) the target's certificate must chain to
 *   tlsPin  the SHA-256 fingerprint of the target's certificate, as
 *           `openssl x509 -noout -fingerprint -sha256` prints it (AB:CD:...,
 *           any case, colons optional); with require or verify-full only.
 *           The certificate must match it (self-signed is fine); with
 *           verify-full the chain and host name are checked as well.
 *
 * The target's TLS is *verified* with verify-full or a pin: only then does
 * the gateway know who it sends a password to (see auth-methods.ts).
 */
import { Invalid, oneOf, optional, text, withDefault } from '../../src/config/fields.js';
import type { OptionsCheck, OptionsContext } from '../../src/config/protocols.js';

export const TARGET_TLS_MODES = ['disable', 'prefer', 'require', 'verify-full'] as const;
export type TargetTlsMode = (typeof TARGET_TLS_MODES)[number];

export type TargetTls = {
  readonly tls: TargetTlsMode;
  /** verify-full: CA bundle file (PEM); null = the system's CAs. */
  readonly tlsCa: string | null;
  /** The pinned certificate's SHA-256 fingerprint, `AB:CD:...` (uppercase, as Node prints it); null = none. */
  readonly tlsPin: string | null;
};

const PIN_FORM = 'expected the SHA-256 fingerprint of the certificate, as openssl x509 -noout -fingerprint -sha256 prints it (64 hex digits, in pairs separated by colons or not)';

/**
 * A certificate fingerprint as written in the config, normalized to
 * `AB:CD:...`; null when it is not 32 bytes of hex. openssl's own
 * `sha256 Fingerprint=` prefix is accepted.
 */
export function parseCertificatePin(written: string): string | null {
  const bare = written.trim().replace(/^sha-?256\s+fingerprint\s*=\s*/i, '');
  const paired = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31}$/.test(bare);
  const plain = /^[0-9A-Fa-f]{64}$/.test(bare);
  if (!paired && !plain) return null;
  return bare.replace(/:/g, '').toUpperCase().match(/../g)!.join(':');
}

function certificatePin(value: unknown): string {
  const pin = parseCertificatePin(text(value));
  if (pin === null) throw new Invalid(PIN_FORM);
  return pin;
}

export const targetTlsKeys = {
  tls: withDefault<TargetTlsMode>('prefer', oneOf(TARGET_TLS_MODES, 'tls mode')),
  tlsCa: optional(text),
  tlsPin: optional(certificatePin),
};

/** Whether the gateway knows who answers: the chain and host name checked, or the certificate pinned. */
export function tlsVerified(options: { readonly tls: TargetTlsMode; readonly tlsPin?: string | null }): boolean {
  return options.tls === 'verify-full' || (options.tls === 'require' && typeof options.tlsPin === 'string');
}

/** The same, for the schema's parsed keys. */
export function parsedTlsVerified(parsed: Readonly<Record<string, unknown>>): boolean {
  return tlsVerified({ tls: parsed.tls as TargetTlsMode, tlsPin: (parsed.tlsPin as string | undefined) ?? null });
}

export function checkTargetTls(parsed: Readonly<Record<string, unknown>>, ctx: OptionsCheck): void {
  if (parsed.tlsCa !== undefined && parsed.tls !== 'verify-full') ctx.problem('tlsCa', 'tlsCa applies with tls: verify-full only', true);
  if (parsed.tlsPin !== undefined && parsed.tls !== 'require' && parsed.tls !== 'verify-full') {
    ctx.problem('tlsPin', 'tlsPin needs tls: require or verify-full; with prefer (the default) or disable the gateway may talk to the target without TLS', true);
  }
}

export function resolveTargetTls(parsed: Readonly<Record<string, unknown>>, ctx: OptionsContext): TargetTls {
  const tlsCa = parsed.tlsCa as string | undefined;
  return { tls: parsed.tls as TargetTlsMode, tlsCa: tlsCa === undefined ? null : ctx.file(tlsCa), tlsPin: (parsed.tlsPin as string | undefined) ?? null };
}
