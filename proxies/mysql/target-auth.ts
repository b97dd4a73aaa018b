/**
 * The gateway's answers in its login to a MySQL or MariaDB target, with the
 * injected password: the first response (HandshakeResponse41's auth data),
 * AuthSwitchRequests, and caching_sha2_password's AuthMoreData. No I/O:
 * each server message in, the payload to send out.
 *
 *   mysql_native_password   SHA1 scramble of the nonce
 *   caching_sha2_password   SHA256 scramble (fast path); full authentication
 *                           sends the password: in clear over verified TLS,
 *                           or RSA-OAEP to the pinned `serverRsaKey` outside TLS
 *   client_ed25519          Ed25519 signature of the server's message
 *   mysql_clear_password    the password in clear (named in `auth`, verified TLS)
 *
 * Invariants:
 * - a method the target's `auth` does not allow is refused before anything
 *   is sent for it;
 * - the password leaves the gateway readable only over verified TLS
 *   (verify-full or a tlsPin), or encrypted to the pinned RSA key: a key the
 *   server sends is never used, so the gateway never asks for one;
 * - errors name the target and what to configure, never a secret.
 */
import type { TargetConfig } from '../../src/config/index.js';
import { targetOptions } from '../../src/config/index.js';
import {
  CACHING_SHA2_PASSWORD,
  CLIENT_ED25519,
  cleartextPasswordPayload,
  ed25519MessageFromAuthData,
  ed25519Signature,
  MYSQL_NATIVE_PASSWORD,
  nativeScramble,
  nonceFromAuthData,
  rsaEncryptPassword,
  SHA2_FAST_AUTH_SUCCESS,
  SHA2_PERFORM_FULL_AUTH,
  sha2Scramble,
} from '../../src/auth/mysql-auth.js';
import { methodRefused, type AuthPolicy } from '../wire/auth-methods.js';
import { MYSQL_AUTH, type MysqlTargetOptions } from './spec.js';

export const MYSQL_CLEAR_PASSWORD = 'mysql_clear_password';

/** The methods whose first answer is a scramble of the greeting's 20-byte nonce. */
const SCRAMBLES = [CACHING_SHA2_PASSWORD, MYSQL_NATIVE_PASSWORD];

/** A refusal: the message is what the person reads. */
export class TargetAuthRefused extends Error {}

export class MysqlTargetAuth {
  private readonly policy: AuthPolicy;
  private readonly options: MysqlTargetOptions;
  private plugin = '';
  private nonce: Buffer;

  constructor(
    private readonly target: TargetConfig,
    private readonly transport: { tls: boolean },
    greetingAuthData: Buffer,
  ) {
    this.options = targetOptions<MysqlTargetOptions>(target);
    // A verified policy counts only on the TLS it was verified on.
    this.policy = { auth: this.options.auth, verified: this.options.verified && transport.tls };
    this.nonce = nonceFromAuthData(greetingAuthData);
  }

  /** The method the gateway answers with now. */
  get method(): string {
    return this.plugin;
  }

  /**
   * The method named in HandshakeResponse41 and its answer: the greeting's
   * method when allowed and answerable from its nonce, else another allowed
   * scramble; else the first allowed method, for the server to switch to.
   */
  first(greetingPlugin: string): { plugin: string; response: Buffer } {
    const allowedScrambles = SCRAMBLES.filter((name) => this.allowed(name));
    this.plugin = allowedScrambles.includes(greetingPlugin) ? greetingPlugin : (allowedScrambles[0] ?? this.policy.auth.find((name) => this.allowed(name)) ?? '');
    if (this.plugin === '') throw this.refused(greetingPlugin);
    if (this.plugin === CLIENT_ED25519) return { plugin: this.plugin, response: Buffer.alloc(0) };
    return { plugin: this.plugin, response: this.answer(this.plugin) };
  }

  /** The answer to an AuthSwitchRequest. */
  switchTo(pluginName: string, pluginData: Buffer): Buffer {
    if (!this.allowed(pluginName)) throw this.refused(pluginName);
    this.plugin = pluginName;
    if (pluginName === CLIENT_ED25519) return ed25519Signature(this.password(), ed25519MessageFromAuthData(pluginData));
    if (pluginName !== MYSQL_CLEAR_PASSWORD) this.nonce = nonceFromAuthData(pluginData);
    return this.answer(pluginName);
  }

  /** The answer to caching_sha2_password's AuthMoreData, or null when none is due. */
  moreData(data: Buffer): Buffer | null {
    if (this.plugin !== CACHING_SHA2_PASSWORD || data.length !== 1) throw new TargetAuthRefused(`recgate: ${this.target.name} sent unexpected authentication data`);
    if (data[0] === SHA2_FAST_AUTH_SUCCESS) return null;
    if (data[0] !== SHA2_PERFORM_FULL_AUTH) throw new TargetAuthRefused(`recgate: ${this.target.name} sent unexpected authentication data`);
    if (this.policy.verified) return cleartextPasswordPayload(this.password());
    const key = this.options.serverRsaKey;
    if (!this.transport.tls && key !== null) return rsaEncryptPassword(this.password(), this.nonce, key);
    throw new TargetAuthRefused(this.fullAuthRefused());
  }

  private allowed(method: string): boolean {
    return this.policy.auth.includes(method) && (!MYSQL_AUTH.exposing.includes(method) || this.policy.verified);
  }

  private answer(method: string): Buffer {
    if (method === MYSQL_NATIVE_PASSWORD) return nativeScramble(this.password(), this.nonce);
    if (method === CACHING_SHA2_PASSWORD) return sha2Scramble(this.password(), this.nonce);
    if (method === MYSQL_CLEAR_PASSWORD) return cleartextPasswordPayload(this.password());
    throw new TargetAuthRefused(`recgate: ${this.target.name} asks for ${method} authentication, which the gateway does not support`);
  }

  private refused(method: string): TargetAuthRefused {
    if (!MYSQL_AUTH.names.includes(method)) return new TargetAuthRefused(`recgate: ${this.target.name} asks for ${method} authentication, which the gateway does not support`);
    return new TargetAuthRefused(methodRefused(this.target.name, method, MYSQL_AUTH, this.policy));
  }

  private fullAuthRefused(): string {
    const name = this.target.name;
    const why = this.transport.tls
      ? 'which sends the password in clear over TLS whose certificate was not checked'
      : 'which outside TLS needs the server\'s RSA public key, and one the server sends proves nothing';
    const fix = this.transport.tls ? 'give the target tls: verify-full or a tlsPin' : 'give the target its RSA public key as serverRsaKey, or tls: verify-full or a tlsPin';
    return `recgate: ${name} asks for caching_sha2_password full authentication, ${why}; refused: ${fix}`;
  }

  private password(): string {
    return this.target.login.password?.reveal() ?? '';
  }
}
