/**
 * What a protocol proxy tells the configuration about itself. The config
 * knows no protocol by name: the protocols a target may speak, the listeners
 * that can be opened, the default target ports and the keys a target of each
 * protocol accepts all come from these descriptions (proxies/<name>/spec.ts,
 * listed in proxies/index.ts).
 */
import type { Parse } from './fields.js';
import type { PathKey } from './locate.js';

export interface ProtocolSpec {
  /** The name targets give as `protocol`, and the `listen` key its proxy serves. */
  readonly name: string;
  /** The target port when a target gives none. */
  readonly defaultPort: number;
  /** Opened at this address when the config has no `listen` section at all. */
  readonly defaultListen?: string;
  /** Its listener terminates TLS with the gateway certificate (generated on first start). */
  readonly gatewayCertificate?: boolean;
  /** Login keys beyond `user` and `password`, and whether the protocol has a user name. */
  readonly login?: { readonly privateKey?: boolean; readonly userOptional?: boolean };
  /** The keys a target of this protocol takes beyond the common ones. */
  readonly targetOptions?: TargetOptionsSpec;
}

export interface TargetOptionsSpec {
  /** One parser per key; `optional`/`withDefault` decide what absence means. */
  readonly keys: Readonly<Record<string, Parse<unknown>>>;
  /** Rules between the keys (and the common ones), checked with the rest of the schema. */
  check?(parsed: Readonly<Record<string, unknown>>, ctx: OptionsCheck): void;
  /**
   * What the keys name, resolved (files against the config's folder).
   * Returns the options the proxy reads; absent, the parsed keys as they are.
   */
  resolve?(parsed: Readonly<Record<string, unknown>>, ctx: OptionsContext): Record<string, unknown>;
}

export interface OptionsCheck {
  /** The target, as far as the common keys go. */
  readonly target: { readonly name: string; readonly host: string; readonly port: number; readonly hasPassword: boolean };
  /**
   * A problem with the key `at` of this target (a key, or a path below it).
   * `atKey` points the location at the key rather than its value.
   */
  problem(at: PathKey | readonly PathKey[], message: string, atKey?: boolean): void;
}

export interface OptionsContext extends OptionsCheck {
  /** An absolute path for one written relative to the config file's folder. */
  file(path: string): string;
}

/** The options a proxy reads from a target it serves: checked by its spec when the config was loaded. */
export function targetOptions<T>(target: { readonly options: Readonly<Record<string, unknown>> }): T {
  return target.options as T;
}
