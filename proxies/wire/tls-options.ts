/**
 * The target keys every database proxy shares: how the gateway talks TLS to
 * the target, after libpq's sslmode.
 *
 *   tls     disable | prefer (default) | require | verify-full
 *   tlsCa   with verify-full: the CA bundle (PEM) the target's certificate must chain to
 */
import { oneOf, optional, text, withDefault } from '../../src/config/fields.js';
import type { OptionsCheck, OptionsContext } from '../../src/config/protocols.js';

export const TARGET_TLS_MODES = ['disable', 'prefer', 'require', 'verify-full'] as const;
export type TargetTlsMode = (typeof TARGET_TLS_MODES)[number];

export type TargetTls = {
  readonly tls: TargetTlsMode;
  /** verify-full: CA bundle file (PEM); null = the system's CAs. */
  readonly tlsCa: string | null;
};

export const targetTlsKeys = {
  tls: withDefault<TargetTlsMode>('prefer', oneOf(TARGET_TLS_MODES, 'tls mode')),
  tlsCa: optional(text),
};

export function checkTargetTls(parsed: Readonly<Record<string, unknown>>, ctx: OptionsCheck): void {
  if (parsed.tlsCa !== undefined && parsed.tls !== 'verify-full') ctx.problem('tlsCa', 'tlsCa applies with tls: verify-full only', true);
}

export function resolveTargetTls(parsed: Readonly<Record<string, unknown>>, ctx: OptionsContext): TargetTls {
  const tlsCa = parsed.tlsCa as string | undefined;
  return { tls: parsed.tls as TargetTlsMode, tlsCa: tlsCa === undefined ? null : ctx.file(tlsCa) };
}
