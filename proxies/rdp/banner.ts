/**
 * A message from the gateway as a banner on the person's desktop: the text
 * made printable, wrapped to the desktop's width, drawn in the gateway's font
 * (font.ts) scaled to the desktop, black on amber in a black frame, centred.
 * Pure: a message and a desktop size in, RGBA pixels and their place out.
 */
import { CELL_W, GLYPH_H, GLYPH_W, LINE_H, REPLACEMENT, glyph, hasGlyph } from './font.js';

export type Rgb = readonly [number, number, number];
export const INK: Rgb = [0, 0, 0];
export const FILL: Rgb = [255, 208, 0];

/** Characters of a message considered; the rest is cut (a banner holds a few hundred at most). */
export const MAX_MESSAGE_CHARS = 2000;
export const MAX_LINES = 8;
/**
 * Characters a line holds at most, whatever the desktop: longer lines are hard
 * to read, and a desktop size the target announces cannot make the banner's
 * pixels grow past a few megabytes.
 */
export const MAX_COLUMNS = 80;
const ELLIPSIS = '...';

/** The message with line breaks kept, tabs as spaces and anything the font lacks as `?`. */
export function printable(message: string): string {
  let out = '';
  let n = 0;
  for (const ch of message.replace(/\r\n?/g, '\n')) {
    if (n++ >= MAX_MESSAGE_CHARS) break;
    out += ch === '\n' ? '\n' : ch === '\t' ? ' ' : hasGlyph(ch) ? ch : REPLACEMENT;
  }
  return out;
}

/** Words broken into pieces of at most `width` characters. */
function pieces(word: string, width: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length; i += width) out.push(word.slice(i, i + width));
  return out;
}

/**
 * Lines of at most `width` characters, broken at spaces where possible and
 * at line breaks always; past `maxLines` the last line ends in `...`.
 */
export function wrap(text: string, width: number, maxLines: number): string[] {
  if (width < 1 || maxLines < 1) return [];
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ').filter((w) => w !== '').flatMap((w) => pieces(w, width))) {
      if (line === '') line = word;
      else if (line.length + 1 + word.length <= width) line += ` ${word}`;
      else {
        lines.push(line);
        line = word;
      }
    }
    lines.push(line);
  }
  while (lines.length > 1 && lines.at(-1) === '') lines.pop();
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  const last = kept[maxLines - 1]!;
  kept[maxLines - 1] = last.length + ELLIPSIS.length <= width ? last + ELLIPSIS : last.slice(0, Math.max(0, width - ELLIPSIS.length)) + ELLIPSIS.slice(0, width);
  return kept;
}

export interface BannerLayout {
  /** Pixels per font pixel. */
  scale: number;
  lines: string[];
  /** The box on the desktop; its width a multiple of 4 (uncompressed bitmap rows stay 4-byte aligned at any depth). */
  x: number;
  y: number;
  w: number;
  h: number;
  /** Frame thickness and the space between frame and text. */
  frame: number;
  pad: number;
}

/** Font pixels scaled so text stays readable: about 3 on 800x600 and 1024x768, 4 from 1280 wide, 1 on the smallest desktops. */
export function scaleFor(w: number, h: number): number {
  return Math.max(1, Math.min(4, Math.floor(Math.min(w / 260, h / 150))));
}

/** Where and how the banner for `message` goes on a `w`x`h` desktop; null when not one character fits. */
export function layoutBanner(message: string, w: number, h: number): BannerLayout | null {
  const scale = scaleFor(w, h);
  const frame = 2 * scale;
  const pad = 6 * scale;
  const inset = frame + pad;
  const margin = Math.max(4, Math.floor(Math.min(w, h) / 16));
  const maxW = Math.floor((w - 2 * margin) / 4) * 4;
  const columns = Math.min(MAX_COLUMNS, Math.floor((maxW - 2 * inset + scale) / (CELL_W * scale)));
  const rows = Math.min(MAX_LINES, Math.floor((h - 2 * margin - 2 * inset + (LINE_H - GLYPH_H) * scale) / (LINE_H * scale)));
  const lines = wrap(printable(message), columns, rows);
  if (lines.length === 0) return null;
  const longest = Math.max(1, ...lines.map((l) => l.length));
  const boxW = Math.ceil((longest * CELL_W * scale - scale + 2 * inset) / 4) * 4;
  const boxH = lines.length * LINE_H * scale - (LINE_H - GLYPH_H) * scale + 2 * inset;
  return { scale, lines, x: Math.floor((w - boxW) / 2), y: Math.floor((h - boxH) / 2), w: boxW, h: boxH, frame, pad };
}

export interface Banner {
  layout: BannerLayout;
  /** layout.w x layout.h RGBA rows, top-down. */
  rgba: Uint8Array;
}

function paint(out: Uint8Array, o: number, c: Rgb): void {
  out[o] = c[0];
  out[o + 1] = c[1];
  out[o + 2] = c[2];
  out[o + 3] = 255;
}

/** The banner's pixels; null when the desktop is too small for one character. */
export function renderBanner(message: string, w: number, h: number): Banner | null {
  const layout = layoutBanner(message, w, h);
  if (!layout) return null;
  const { scale, lines, frame, pad } = layout;
  const rgba = new Uint8Array(layout.w * layout.h * 4);
  for (let y = 0; y < layout.h; y++) {
    for (let x = 0; x < layout.w; x++) {
      const edge = x < frame || y < frame || x >= layout.w - frame || y >= layout.h - frame;
      paint(rgba, (y * layout.w + x) * 4, edge ? INK : FILL);
    }
  }
  const inset = frame + pad;
  lines.forEach((line, row) => {
    // Each line centred in the box.
    const left = Math.floor((layout.w - (line.length * CELL_W * scale - scale)) / 2);
    const top = inset + row * LINE_H * scale;
    [...line].forEach((ch, col) => {
      const g = glyph(ch);
      for (let gy = 0; gy < GLYPH_H; gy++) {
        for (let gx = 0; gx < GLYPH_W; gx++) {
          if (!(g[gy]! & (1 << (GLYPH_W - 1 - gx)))) continue;
          for (let dy = 0; dy < scale; dy++) {
            const y = top + gy * scale + dy;
            for (let dx = 0; dx < scale; dx++) paint(rgba, (y * layout.w + left + (col * CELL_W + gx) * scale + dx) * 4, INK);
          }
        }
      }
    });
  });
  return { layout, rgba };
}
