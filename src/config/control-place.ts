/**
 * Where a running gateway's control socket and token are, read from its
 * config file leniently: `recgate reload` must reach the gateway to report a
 * config that no longer loads, so it reads only `gateway.dataDir` and
 * `control.socket`, with the defaults the full loader applies.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { Config } from './types.js';

export interface ControlPlace {
  socket: string;
  /** The file holding the control token. */
  token: string;
}

export function controlPlace(config: Config): ControlPlace {
  return { socket: config.control.socket, token: path.join(config.gateway.dataDir, 'control.token') };
}

/** The control place a config file names, or undefined when even that cannot be read from it. */
export function controlPlaceOfFile(file: string): ControlPlace | undefined {
  let data: unknown;
  try {
    data = parse(readFileSync(file, 'utf8'), { logLevel: 'silent' });
  } catch {
    return undefined;
  }
  const at = (o: unknown, key: string): unknown => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[key] : undefined);
  const dir = path.dirname(path.resolve(file));
  const dataDirText = at(at(data, 'gateway'), 'dataDir');
  const socketText = at(at(data, 'control'), 'socket');
  const dataDir = path.resolve(dir, typeof dataDirText === 'string' ? dataDirText : './data');
  const socket = typeof socketText === 'string' ? path.resolve(dir, socketText) : path.join(dataDir, 'control.sock');
  return { socket, token: path.join(dataDir, 'control.token') };
}
