/**
 * The remote screen as RGBA rows, top-down. Every write is clipped to the
 * screen: a rectangle partly or wholly outside it writes only what is inside.
 */
import { checkSize } from './pixels.js';

/** Damage rectangles kept between two `takeDamage` calls before they collapse into "everything". */
const MAX_DAMAGE = 512;

export type Rect = [x0: number, y0: number, x1: number, y1: number];

export class Framebuffer {
  pixels: Uint8Array;
  /** Areas written since the last `takeDamage`; `all` when the whole picture may have changed. */
  private damage: Rect[] | 'all' = 'all';

  constructor(public width: number, public height: number) {
    checkSize(width, height);
    this.pixels = new Uint8Array(width * height * 4);
    this.clear();
  }

  /** A new size; what fits of the old picture is kept, the rest is black (RDP redraws after a resize). */
  resize(width: number, height: number): void {
    checkSize(width, height);
    if (width === this.width && height === this.height) return;
    const old = this.pixels;
    const oldW = this.width;
    const oldH = this.height;
    this.width = width;
    this.height = height;
    this.pixels = new Uint8Array(width * height * 4);
    this.damage = 'all';
    this.clear();
    const w = Math.min(width, oldW);
    for (let y = 0; y < Math.min(height, oldH); y++) this.pixels.set(old.subarray(y * oldW * 4, (y * oldW + w) * 4), y * width * 4);
  }

  /** What changed since the last call (for renderers that convert only the changed parts). */
  takeDamage(): Rect[] | 'all' {
    const d = this.damage;
    this.damage = [];
    return d;
  }

  private damaged(r: Rect): void {
    if (this.damage === 'all') return;
    if (this.damage.length >= MAX_DAMAGE) this.damage = 'all';
    else this.damage.push(r);
  }

  private clear(): void {
    for (let i = 3; i < this.pixels.length; i += 4) this.pixels[i] = 255;
  }

  /**
   * Copies the top-left `w`×`h` of an RGBA image `srcW` wide to (x, y).
   * Returns the number of pixels written (after clipping).
   */
  blit(src: Uint8Array, srcW: number, srcH: number, x: number, y: number, w: number, h: number): number {
    const x0 = Math.max(0, x);
    const y0 = Math.max(0, y);
    const x1 = Math.min(this.width, x + Math.min(w, srcW));
    const y1 = Math.min(this.height, y + Math.min(h, srcH));
    if (x1 <= x0 || y1 <= y0) return 0;
    for (let row = y0; row < y1; row++) {
      const s = ((row - y) * srcW + (x0 - x)) * 4;
      this.pixels.set(src.subarray(s, s + (x1 - x0) * 4), (row * this.width + x0) * 4);
    }
    this.damaged([x0, y0, x1, y1]);
    return (x1 - x0) * (y1 - y0);
  }

  /** Raw RGB rows (for keyframes). */
  rgb(): Uint8Array {
    const out = new Uint8Array(this.width * this.height * 3);
    for (let i = 0, o = 0; o < out.length; i += 4, o += 3) {
      out[o] = this.pixels[i]!;
      out[o + 1] = this.pixels[i + 1]!;
      out[o + 2] = this.pixels[i + 2]!;
    }
    return out;
  }

  /** Replaces the picture with RGB rows of this size. */
  setRgb(width: number, height: number, rgb: Uint8Array): void {
    this.damage = 'all';
    if (width !== this.width || height !== this.height) {
      checkSize(width, height);
      this.width = width;
      this.height = height;
      this.pixels = new Uint8Array(width * height * 4);
    }
    for (let i = 0, o = 0; i < rgb.length && o < this.pixels.length; i += 3, o += 4) {
      this.pixels[o] = rgb[i]!;
      this.pixels[o + 1] = rgb[i + 1]!;
      this.pixels[o + 2] = rgb[i + 2]!;
      this.pixels[o + 3] = 255;
    }
  }

  /** RGBA of one pixel (tests, probes). */
  at(x: number, y: number): [number, number, number, number] {
    const o = (y * this.width + x) * 4;
    return [this.pixels[o]!, this.pixels[o + 1]!, this.pixels[o + 2]!, this.pixels[o + 3]!];
  }
}
