/**
 * Search hits as short excerpts. A full-screen program (vim, top, less) draws
 * its screen as one "line" of kilobytes of cursor movement and colour; `search`
 * matches the text with those sequences removed and prints only the part
 * around the match.
 */

/** Terminal control sequences (ECMA-48 CSI, OSC/DCS/SOS/PM/APC strings, other ESC sequences) and C0 controls. */
const CONTROLS =
  // eslint-disable-next-line no-control-regex
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b[\]PX^_][\s\S]*?(?:\x07|\x1b\\|$)|\x1b[ -/]*[0-~]|\x1b|[\x00-\x08\x0b-\x1f\x7f]/g;

/** The text a person read on the screen, without the sequences that drew it. */
export function stripControls(text: string): string {
  return text.replace(CONTROLS, '');
}

/** Characters kept on each side of a match. */
export const CONTEXT = 40;

/**
 * The part of `text` around the first case-insensitive occurrence of `needle`
 * (given in lower case), with `…` where text was cut; undefined when absent.
 */
export function excerpt(text: string, needle: string, context = CONTEXT): string | undefined {
  const at = text.toLowerCase().indexOf(needle);
  if (at === -1) return undefined;
  // toLowerCase keeps the length of the text searched here except for a few letters (İ); clamp to be safe.
  const start = Math.max(0, at - context);
  const end = Math.min(text.length, at + needle.length + context);
  return (start > 0 ? '…' : '') + text.slice(start, end).trim() + (end < text.length ? '…' : '');
}

/** An event's fields other than its type as `key=value` words: what search matches and `recordings events` prints. */
export function eventText(event: Record<string, unknown>): string {
  const { type: _type, ...fields } = event;
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

/** `H:MM:SS.mmm` from milliseconds. */
export function formatOffset(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}`;
}
