import { inspect } from 'node:util';
import { ConfigError } from '../errors.js';

const REDACTED = '[secret]';
const UNREAD = Symbol('unread');

/**
 * A credential read from the config, the environment or a file. The value sits in a
 * private field: printing, logging, JSON.stringify and util.inspect all show `[secret]`;
 * only reveal() returns it. `origin` says where it came from without showing it:
 * `env NAME`, `file /abs/path` or `inline`.
 */
export class Secret {
  readonly #value: string | null;
  readonly origin: string;

  constructor(value: string | typeof UNREAD, origin: string) {
    this.#value = value === UNREAD ? null : value;
    this.origin = origin;
    Object.freeze(this);
  }

  /** A secret left unread by a command that never uses it; reveal() throws. */
  static unread(origin: string): Secret {
    return new Secret(UNREAD, origin);
  }

  reveal(): string {
    if (this.#value === null) throw new ConfigError(`the secret from ${this.origin} was not read by this command`);
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }
}
