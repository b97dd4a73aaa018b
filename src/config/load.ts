/**
 * Reads a config file and returns the frozen Config, or throws ConfigError with one line
 * `<file>:<line>:<col>: <key.path>: <what is wrong>` for the first problem in the file.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, LineCounter, parseDocument, type Document } from 'yaml';
import type * as z from 'zod';
import { ConfigError } from '../errors.js';
import { checkReferences } from './checks.js';
import { describe, MISSING } from './fields.js';
import { formatPath, SourceMap, type Issue, type PathKey } from './locate.js';
import { protocols as servedProtocols } from '../../proxies/index.js';
import type { ProtocolSpec } from './protocols.js';
import { resolveConfig, type Env } from './resolve.js';
import { configSchema } from './schema.js';
import type { Config } from './types.js';

const EXPECTED: Readonly<Record<string, string>> = {
  array: 'a list',
  object: 'a mapping',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

function valueAt(data: unknown, keys: readonly PathKey[]): unknown {
  let value = data;
  for (const key of keys) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PathKey, unknown>)[key];
  }
  return value;
}

function fromZod(issue: z.core.$ZodIssue, data: unknown): Issue & { suggestion?: string } {
  const keys = issue.path.filter((key): key is PathKey => typeof key !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const suggestion = (issue as { params?: { suggestion?: string } }).params?.suggestion;
    return { path: keys, message: issue.message, atKey: true, ...(suggestion === undefined ? {} : { suggestion }) };
  }
  if (issue.code === 'custom') {
    return { path: keys, message: issue.message, atKey: issue.params?.['atKey'] === true };
  }
  if (issue.code === 'invalid_type') {
    const actual = valueAt(data, keys);
    const message = actual === undefined ? MISSING : `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describe(actual)}`;
    return { path: keys, message };
  }
  if (issue.code === 'too_small' && issue.origin === 'array') {
    return { path: keys, message: `must list at least ${String(issue.minimum)}` };
  }
  return { path: keys, message: issue.message };
}

/** A key reported missing is not a problem of its own when a misspelling of it is there. */
function dropExplained(issues: readonly (Issue & { suggestion?: string })[]): Issue[] {
  const meant = new Set(
    issues.flatMap((issue) => (issue.suggestion === undefined ? [] : [formatPath([...issue.path.slice(0, -1), issue.suggestion])])),
  );
  return issues.filter((issue) => !(issue.message.startsWith(MISSING) && meant.has(formatPath(issue.path))));
}

/** The ConfigError for the problem that comes first in the file. */
function failure(file: string, map: SourceMap, issues: readonly Issue[]): ConfigError {
  const located = issues.map((issue, order) => ({ issue, order, at: map.position(issue.path, issue.atKey) }));
  located.sort((a, b) => a.at.line - b.at.line || a.at.col - b.at.col || a.order - b.order);
  const first = located[0];
  if (first === undefined) return new ConfigError(`${file}: invalid configuration`);
  const where = first.issue.path.length === 0 ? '' : `${formatPath(first.issue.path)}: `;
  return new ConfigError(`${file}:${first.at.line}:${first.at.col}: ${where}${first.issue.message}`);
}

function readConfigFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return fail(`config file not found: ${file}`);
    if (code === 'EISDIR') return fail(`${file}: is a directory, expected a YAML config file`);
    if (code === 'EACCES' || code === 'EPERM') return fail(`${file}: permission denied`);
    return fail(`${file}: cannot read (${code ?? 'unknown error'})`);
  }
}

function fail(message: string): never {
  throw new ConfigError(message);
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '').trim();
}

/** Far deeper `[`/`{` nesting than any config needs; much deeper input can crash the YAML parser. */
const MAX_FLOW_DEPTH = 64;

/** A rough count of open brackets (quotes are not skipped, so it only errs towards refusing). */
function checkFlowDepth(file: string, text: string): void {
  let depth = 0;
  for (let offset = 0; offset < text.length; offset++) {
    const char = text[offset];
    if (char === '[' || char === '{') depth++;
    else if ((char === ']' || char === '}') && depth > 0) depth--;
    if (depth > MAX_FLOW_DEPTH) {
      const before = text.slice(0, offset);
      const line = before.split('\n').length;
      const col = offset - before.lastIndexOf('\n');
      fail(`${file}:${line}:${col}: brackets nested more than ${MAX_FLOW_DEPTH} deep`);
    }
  }
}

/** YAML syntax errors and warnings (unknown tags, ...) are all fatal in a config file. */
function checkSyntax(file: string, doc: Document, map: SourceMap): void {
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem === undefined) return;
  const at = map.at(problem.pos[0]);
  fail(`${file}:${at.line}:${at.col}: ${firstLine(problem.message)}`);
}

/**
 * The first value that is not plain data: one a tag such as !!binary made, or one an
 * alias made part of itself (a cycle).
 */
function findNonPlain(value: unknown, at: PathKey[] = [], within = new Set<object>()): Issue | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (within.has(value)) return { path: at, message: 'an alias here refers to a node that contains it' };
  const proto: unknown = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
    return { path: at, message: 'expected a plain value (tags such as !!binary, !!set, !!timestamp are not accepted)' };
  }
  within.add(value);
  for (const [key, item] of Object.entries(value)) {
    const found = findNonPlain(item, [...at, Array.isArray(value) ? Number(key) : key], within);
    if (found !== undefined) return found;
  }
  within.delete(value);
  return undefined;
}

function toData(file: string, doc: Document, map: SourceMap): unknown {
  if (doc.contents === null) fail(`${file}: the file is empty (expected a mapping with gateway, listen, store, users, targets, ...)`);
  if (!isMap(doc.contents)) {
    const at = map.position([]);
    fail(`${file}:${at.line}:${at.col}: the top level must be a mapping of keys (gateway, listen, store, users, targets, ...)`);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return fail(`${file}: ${firstLine(error instanceof Error ? error.message : String(error))}`);
  }
  const odd = findNonPlain(data);
  if (odd !== undefined) throw failure(file, map, [odd]);
  return data;
}

export interface LoadOptions {
  /** The protocols whose targets and listeners the file may configure: by default every proxy this gateway has. */
  protocols?: readonly ProtocolSpec[];
  /** 'defer' for commands that never log in to a target: its secrets are not read (and need not be set). */
  targetSecrets?: 'read' | 'defer';
}

/** One schema per list of protocols; the gateway's own list is the one nearly always asked for. */
const schemas = new WeakMap<readonly ProtocolSpec[], ReturnType<typeof configSchema>>();

/**
 * Loads, validates and resolves a config file. Relative paths in it are taken from the
 * file's folder; `{ env: NAME }` secrets are looked up in `env`.
 */
export function loadConfig(file: string, env: Env = process.env, options: LoadOptions = {}): Config {
  const protocols = options.protocols ?? servedProtocols;
  let schema = schemas.get(protocols);
  if (schema === undefined) schemas.set(protocols, (schema = configSchema(protocols)));
  const text = readConfigFile(file);
  checkFlowDepth(file, text);
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true, merge: true, logLevel: 'error' });
  const map = new SourceMap(doc, counter);
  checkSyntax(file, doc, map);
  const data = toData(file, doc, map);
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw failure(file, map, dropExplained(parsed.error.issues.map((issue) => fromZod(issue, data))));
  const issues = checkReferences(parsed.data);
  if (issues.length > 0) throw failure(file, map, issues);
  const config = resolveConfig(parsed.data, path.resolve(file), { env, protocols, targetSecrets: options.targetSecrets ?? 'read' }, issues);
  if (issues.length > 0) throw failure(file, map, issues);
  return deepFreeze(config);
}

/** Freezes plain objects and arrays all the way down; typed arrays cannot be frozen. */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || Object.isFrozen(value)) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}

export const DEFAULT_CONFIG = 'config/recgate.yaml';
export const EXAMPLE_CONFIG = 'config/recgate.example.yaml';

/**
 * The config file to load, as an absolute path: `explicit` if given, else
 * config/recgate.yaml, else config/recgate.example.yaml (both under `cwd`).
 */
export function resolveConfigPath(explicit?: string, cwd: string = process.cwd()): string {
  if (explicit !== undefined && explicit !== '') return path.resolve(cwd, explicit);
  for (const candidate of [DEFAULT_CONFIG, EXAMPLE_CONFIG]) {
    const file = path.resolve(cwd, candidate);
    if (existsSync(file)) return file;
  }
  return fail(`no config file: neither ${DEFAULT_CONFIG} nor ${EXAMPLE_CONFIG} exists in ${cwd} (use --config FILE)`);
}
