/**
 * The video's picture as planar YUV 4:2:0 (BT.601, limited range: what
 * ffmpeg assumes for untagged yuv420p), kept between frames and converted
 * from the framebuffer only where it changed, in 16×16 blocks: a busy desktop
 * changes a few percent of the screen per frame, so this spares ffmpeg a
 * full-frame colour conversion per frame.
 *
 * The canvas has the video's size (even); the framebuffer sits at its
 * top-left, black around it after a resize. The pointer is drawn into the
 * blocks it covers, and those blocks are redrawn when it moves.
 */
import type { Framebuffer, Rect } from '../graphics/framebuffer.js';
import { drawPointerImage, type PointerImage } from '../graphics/pointer.js';

const B = 16;

export interface PointerView {
  x: number;
  y: number;
  image: PointerImage | undefined;
}

export class YuvCanvas {
  readonly frame: Uint8Array;
  private readonly cols: number;
  private readonly rows: number;
  private readonly dirty: Uint8Array;
  private readonly block = new Uint8Array(B * B * 4);
  private pointerRect: Rect | undefined;

  constructor(readonly width: number, readonly height: number) {
    this.frame = new Uint8Array((width * height * 3) / 2);
    this.cols = Math.ceil(width / B);
    this.rows = Math.ceil(height / B);
    this.dirty = new Uint8Array(this.cols * this.rows).fill(1);
  }

  /** Brings the picture up to date with the framebuffer and the pointer (undefined: hidden). */
  update(fb: Framebuffer, pointer: PointerView | undefined): void {
    const damage = fb.takeDamage();
    if (damage === 'all') this.dirty.fill(1);
    else for (const r of damage) this.mark(r);
    const rect = pointer ? pointerRect(pointer) : undefined;
    if (!sameRect(rect, this.pointerRect)) {
      if (this.pointerRect) this.mark(this.pointerRect);
      if (rect) this.mark(rect);
      this.pointerRect = rect;
    }
    for (let by = 0; by < this.rows; by++) {
      for (let bx = 0; bx < this.cols; bx++) {
        const i = by * this.cols + bx;
        if (!this.dirty[i]) continue;
        this.dirty[i] = 0;
        this.convertBlock(fb, bx * B, by * B, pointer, rect);
      }
    }
  }

  private mark([x0, y0, x1, y1]: Rect): void {
    const c0 = Math.max(0, Math.floor(x0 / B));
    const c1 = Math.min(this.cols, Math.ceil(x1 / B));
    const r0 = Math.max(0, Math.floor(y0 / B));
    const r1 = Math.min(this.rows, Math.ceil(y1 / B));
    for (let r = r0; r < r1; r++) this.dirty.fill(1, r * this.cols + c0, r * this.cols + c1);
  }

  private convertBlock(fb: Framebuffer, x0: number, y0: number, pointer: PointerView | undefined, rect: Rect | undefined): void {
    const w = Math.min(B, this.width - x0);
    const h = Math.min(B, this.height - y0);
    const px = this.block;
    // The block's RGBA, from the framebuffer where it lies inside it, black elsewhere.
    px.fill(0);
    for (let y = 0; y < h; y++) {
      const fy = y0 + y;
      if (fy >= fb.height) break;
      const n = Math.max(0, Math.min(w, fb.width - x0));
      if (n > 0) px.set(fb.pixels.subarray((fy * fb.width + x0) * 4, (fy * fb.width + x0 + n) * 4), y * B * 4);
    }
    if (pointer && rect && rect[0] < x0 + w && rect[2] > x0 && rect[1] < y0 + h && rect[3] > y0) {
      if (pointer.image) drawPointerImage(px, B, h, pointer.image, pointer.x - x0, pointer.y - y0);
      else drawArrow(px, B, h, pointer.x - x0, pointer.y - y0);
    }
    const f = this.frame;
    const uBase = this.width * this.height;
    const vBase = uBase + uBase / 4;
    const cw = this.width / 2;
    for (let y = 0; y < h; y += 2) {
      for (let x = 0; x < w; x += 2) {
        let rs = 0;
        let gs = 0;
        let bs = 0;
        for (let k = 0; k < 4; k++) {
          const xx = x + (k & 1);
          const yy = y + (k >> 1);
          const o = (yy * B + xx) * 4;
          const r = px[o]!;
          const g = px[o + 1]!;
          const b = px[o + 2]!;
          f[(y0 + yy) * this.width + x0 + xx] = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
          rs += r;
          gs += g;
          bs += b;
        }
        const c = ((y0 + y) / 2) * cw + (x0 + x) / 2;
        f[uBase + c] = ((-38 * rs - 74 * gs + 112 * bs + 512) >> 10) + 128;
        f[vBase + c] = ((112 * rs - 94 * gs - 18 * bs + 512) >> 10) + 128;
      }
    }
  }
}

function pointerRect(p: PointerView): Rect {
  if (p.image) return [p.x - p.image.hotX, p.y - p.image.hotY, p.x - p.image.hotX + p.image.w, p.y - p.image.hotY + p.image.h];
  return [p.x, p.y, p.x + 8, p.y + 11];
}

function sameRect(a: Rect | undefined, b: Rect | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.every((v, i) => v === b[i]));
}

/** The system pointer: a plain arrow (white, black outline), 11 pixels tall, tip at (px, py). */
function drawArrow(canvas: Uint8Array, width: number, height: number, px: number, py: number): void {
  for (let dy = 0; dy < 11; dy++) {
    const span = Math.min(dy, 7);
    for (let dx = 0; dx <= span; dx++) {
      const x = px + dx;
      const y = py + dy;
      if (x < 0 || y < 0 || x >= width || y >= height) continue;
      const v = dx === 0 || dx === span || dy === 10 ? 0 : 255;
      canvas.fill(v, (y * width + x) * 4, (y * width + x) * 4 + 3);
    }
  }
}
