/**
 * Reads a banner's text back from pixels by matching each character cell
 * against the gateway's font: what a person reads, checked glyph by glyph.
 * Imported by tests only.
 */
import type { BannerLayout } from './banner.js';
import { CELL_W, GLYPH_H, GLYPH_W, LINE_H, glyph, glyphArt } from './font.js';

export type PixelAt = (x: number, y: number) => readonly [number, number, number];

const BY_ROWS = new Map(Object.keys(glyphArt()).map((ch) => [glyph(ch).join(','), ch]));

/**
 * The text of the banner laid out as `layout`, read from `at` (desktop
 * coordinates): each font pixel sampled at its centre, dark or light; a cell
 * that is no glyph of the font reads as U+FFFD.
 */
export function readBanner(at: PixelAt, layout: BannerLayout): string[] {
  const { scale: s, x: bx, y: by, w } = layout;
  return layout.lines.map((line, row) => {
    const left = bx + Math.floor((w - (line.length * CELL_W * s - s)) / 2);
    const top = by + layout.frame + layout.pad + row * LINE_H * s;
    let text = '';
    for (let col = 0; col < line.length; col++) {
      const rows: number[] = [];
      for (let gy = 0; gy < GLYPH_H; gy++) {
        let bits = 0;
        for (let gx = 0; gx < GLYPH_W; gx++) {
          const [r, g, b] = at(left + (col * CELL_W + gx) * s + (s >> 1), top + gy * s + (s >> 1));
          if (r + g + b < 3 * 100) bits |= 1 << (GLYPH_W - 1 - gx);
        }
        rows.push(bits);
      }
      text += BY_ROWS.get(rows.join(',')) ?? '\ufffd';
    }
    return text;
  });
}

/** A PixelAt over RGBA (or, with `channels` 3, RGB) rows `width` pixels wide, offset so (ox, oy) is their top-left. */
export function pixelsAt(pixels: Uint8Array, width: number, channels = 4, ox = 0, oy = 0): PixelAt {
  return (x, y) => {
    const o = ((y - oy) * width + (x - ox)) * channels;
    return [pixels[o]!, pixels[o + 1]!, pixels[o + 2]!];
  };
}
