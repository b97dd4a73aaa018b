import { inspect } from 'node:util';

const REDACTED = '[secret]';

/**
 * A credential read from the config, the environment or a file. The value sits in a
 * private field: printing, logging, JSON.stringify and util.inspect all show `[secret]`;
 * only reveal() returns it. `origin` says where it came from without showing it:
 * `env NAME`, `file /abs/path` or `inline`.
 */
export class Secret {
  readonly #value: string;
  readonly origin: string;

  constructor(value: string, origin: string) {
    this.#value = value;
    this.origin = origin;
    Object.freeze(this);
  }

  reveal(): string {
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
