/**
 * Entry names inside an export zip. Terminals are taken in channel order; the first has
 * no suffix, the k-th after it has `-k` before the extension:
 *
 *   NAME.tys  NAME.tm  NAME.cast  [NAME.timing  NAME.in.tys]        first terminal
 *   NAME-1.tys  NAME-1.tm  NAME-1.cast  [NAME-1.timing  NAME-1.in.tys]  second terminal
 *   NAME.events.jsonl                                               one per recording
 *
 *   .tys        typescript: header line, output bytes, trailer line
 *   .tm         classic timing for the .tys
 *   .cast       asciicast v2
 *   .timing     advanced multi-stream timing (O, I, S, H); its output log is the .tys
 *   .in.tys     keystroke log of the advanced timing (same header and trailer as a .tys)
 *
 * The bracketed pair exists only for a terminal whose keystrokes were recorded.
 */
import { GatewayError } from '../errors.js';

export interface TerminalFileNames {
  tys: string;
  tm: string;
  cast: string;
  timing?: string;
  input?: string;
}

export function terminalFileNames(base: string, index: number, withInput: boolean): TerminalFileNames {
  const stem = index === 0 ? base : `${base}-${index}`;
  const names: TerminalFileNames = { tys: `${stem}.tys`, tm: `${stem}.tm`, cast: `${stem}.cast` };
  if (withInput) {
    names.timing = `${stem}.timing`;
    names.input = `${stem}.in.tys`;
  }
  return names;
}

export function eventsFileName(base: string): string {
  return `${base}.events.jsonl`;
}

/** A base name is one path component without control characters. */
export function checkBaseName(base: string): void {
  if (base === '' || base === '.' || base === '..' || /[/\\\x00-\x1f\x7f]/.test(base)) {
    throw new GatewayError('RG_ERR_USAGE', `export name must be a plain file name: ${JSON.stringify(base)}`);
  }
}
