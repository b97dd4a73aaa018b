/**
 * The parts of the schema that depend on the protocols the gateway serves:
 * `listen` (one key per protocol, plus the console) and `targets` (the keys
 * every target has, plus the keys its protocol's description adds).
 *
 * A key that belongs to another protocol is named as such ("hostKey applies
 * to ssh targets only"); a listener or a protocol no proxy serves is an
 * error that names the ones served.
 */
import * as z from 'zod';
import { bool, duration, field, host, listen, loginName, oneOf, optional, orNone, port, secretRef, text } from './fields.js';
import { section } from './mappings.js';
import type { ProtocolSpec } from './protocols.js';
import { closest } from './suggest.js';

export type { OptionsCheck } from './protocols.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function served(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? 'none') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/**
 * `listen`: one key per served protocol, plus the gateway's own listeners
 * (`own`: name and default address, null for one that is opened only when
 * configured); without the section, each one's default address.
 */
export function listenSection(protocols: readonly ProtocolSpec[], own: Readonly<Record<string, string | null>>) {
  const names = [...protocols.map((p) => p.name), ...Object.keys(own)];
  const shape = Object.fromEntries(names.map((name) => [name, field(listen)]));
  const defaults: Record<string, string> = {};
  for (const [name, address] of Object.entries(own)) if (address !== null) defaults[name] = address;
  for (const p of protocols) if (p.defaultListen !== undefined) defaults[p.name] = p.defaultListen;
  return z.preprocess((value, ctx) => {
    const mapping = value ?? defaults;
    if (!isRecord(mapping)) return mapping;
    for (const key of Object.keys(mapping)) {
      if (names.includes(key)) continue;
      const suggestion = closest(key, names);
      const hint = suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
      const message = `no proxy serves "${key}" in this gateway${hint}; listeners: ${served(names)}`;
      ctx.addIssue({ code: 'unrecognized_keys', keys: [key], path: [key], message, params: { suggestion }, input: mapping });
    }
    return mapping;
  }, z.object(shape));
}

const COMMON_KEYS = ['name', 'protocol', 'host', 'port', 'login', 'recording', 'limits', 'recipients'];

/** In a target, an absent limit inherits the top-level one and null means "none". */
const targetLimit = field((value) => (value === undefined ? undefined : orNone(duration)(value)));

function commonShape(protocols: readonly ProtocolSpec[]) {
  return {
    name: field(loginName),
    protocol: field(oneOf(protocols.map((p) => p.name), 'protocol')),
    host: field(host),
    port: field(optional(port)),
    recording: section({ keystrokes: field(optional(bool)), required: field(optional(bool)) }),
    limits: section({ idleTimeout: targetLimit, maxDuration: targetLimit }),
    recipients: z.array(field(text)).min(1).optional(),
  };
}

/** Which protocols declare each target key and login key: to say where a misplaced key belongs. */
interface KeyOwners {
  target: Map<string, string[]>;
  login: Map<string, string[]>;
}

function keyOwners(protocols: readonly ProtocolSpec[]): KeyOwners {
  const owners: KeyOwners = { target: new Map(), login: new Map() };
  const add = (map: Map<string, string[]>, key: string, name: string): void => void map.set(key, [...(map.get(key) ?? []), name]);
  for (const p of protocols) {
    for (const key of Object.keys(p.targetOptions?.keys ?? {})) add(owners.target, key, p.name);
    if (p.login?.privateKey) for (const key of ['privateKey', 'passphrase']) add(owners.login, key, p.name);
  }
  return owners;
}

/**
 * Unknown keys of a mapping: a key another protocol takes is named as that
 * protocol's ("tls applies to postgres and mysql targets only"), any other
 * key as unknown, with the closest known key suggested.
 */
function reportKeys(value: unknown, known: readonly string[], owners: Map<string, string[]>, ctx: z.RefinementCtx): void {
  if (!isRecord(value)) return;
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const owner = owners.get(key);
    if (owner !== undefined) {
      ctx.addIssue({ code: 'custom', path: [key], message: `${key} applies to ${served(owner)} targets only`, params: { atKey: true } });
      continue;
    }
    const suggestion = closest(key, known);
    const message = suggestion === undefined ? 'unknown key' : `unknown key (did you mean "${suggestion}"?)`;
    ctx.addIssue({ code: 'unrecognized_keys', keys: [key], path: [key], message, params: { suggestion }, input: value });
  }
}

function loginSchema(spec: ProtocolSpec, owners: KeyOwners) {
  const withKey = spec.login?.privateKey === true;
  const shape = {
    user: field(spec.login?.userOptional ? optional(text) : text),
    password: field(optional(secretRef(true))),
    ...(withKey ? { privateKey: field(optional(secretRef(false))), passphrase: field(optional(secretRef(false))) } : {}),
  };
  const known = Object.keys(shape);
  return z
    .preprocess((value, ctx) => {
      reportKeys(value, known, owners.login, ctx);
      return value;
    }, z.object(shape))
    .superRefine((value, ctx) => {
      const login = value as { privateKey?: unknown; passphrase?: unknown };
      if (login.passphrase !== undefined && login.privateKey === undefined) {
        ctx.addIssue({ code: 'custom', path: ['passphrase'], message: 'passphrase is only used with privateKey', params: { atKey: true } });
      }
    });
}

/** A target of one protocol: the common keys, its login, and the keys its description adds (kept as `options`). */
function protocolTarget(spec: ProtocolSpec, protocols: readonly ProtocolSpec[], owners: KeyOwners) {
  const optionKeys = spec.targetOptions?.keys ?? {};
  const optionShape = Object.fromEntries(Object.entries(optionKeys).map(([key, parse]) => [key, field(parse)]));
  const shape = { ...commonShape(protocols), login: loginSchema(spec, owners), ...optionShape };
  const known = [...COMMON_KEYS, ...Object.keys(optionShape)];
  return z
    .preprocess((value, ctx) => {
      reportKeys(value, known, owners.target, ctx);
      return value;
    }, z.object(shape))
    .superRefine((value, ctx) => {
      const check = spec.targetOptions?.check;
      if (check === undefined) return;
      const common = value as unknown as CommonTarget;
      check(value as Record<string, unknown>, {
        target: { name: common.name, host: common.host, port: common.port ?? spec.defaultPort, hasPassword: common.login.password !== undefined },
        problem: (at, message, atKey = false) => {
          const path = typeof at === 'object' ? [...at] : [at];
          ctx.addIssue({ code: 'custom', path, message, params: { atKey } });
        },
      });
    })
    .transform((value) => {
      const options: Record<string, unknown> = {};
      for (const key of Object.keys(optionShape)) options[key] = (value as Record<string, unknown>)[key];
      const common = value as unknown as CommonTarget;
      return {
        name: common.name,
        protocol: common.protocol,
        host: common.host,
        port: common.port ?? spec.defaultPort,
        login: common.login,
        recording: common.recording,
        limits: common.limits,
        recipients: common.recipients,
        options,
      };
    });
}

interface CommonTarget {
  name: string;
  protocol: string;
  host: string;
  port?: number;
  login: { user?: string; password?: SecretRefOf; privateKey?: SecretRefOf; passphrase?: SecretRefOf };
  recording: { keystrokes?: boolean; required?: boolean };
  limits: { idleTimeout?: number | null; maxDuration?: number | null };
  recipients?: string[];
}

type SecretRefOf = ReturnType<ReturnType<typeof secretRef>>;

export type ParsedTarget = ReturnType<ReturnType<typeof protocolTarget>['parse']>;

/**
 * `targets[]`: checked with the schema of the protocol the target names; a
 * target naming no served protocol is checked for the common keys only, so
 * the unknown protocol is reported with everything else wrong in it.
 */
export function targetSchema(protocols: readonly ProtocolSpec[]): z.ZodType<ParsedTarget> {
  const owners = keyOwners(protocols);
  const schemas = new Map(protocols.map((p) => [p.name, protocolTarget(p, protocols, owners)]));
  const fallback = z.looseObject({ ...commonShape(protocols), login: z.unknown() });
  return z.unknown().transform((value, ctx): ParsedTarget => {
    const protocol = isRecord(value) ? value.protocol : undefined;
    const schema = typeof protocol === 'string' ? schemas.get(protocol) : undefined;
    const result = (schema ?? fallback).safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
      return z.NEVER;
    }
    return result.data as ParsedTarget;
  }) as unknown as z.ZodType<ParsedTarget>;
}
