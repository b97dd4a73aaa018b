/**
 * The video's picture as planar YUV 4:2:0 (BT.601, limited range: what
 * ffmpeg assumes for untagged yuv420p), kept between frames and converted
 * from the framebuffer only where it changed, in 16×16 blocks: a busy desktop
 * changes a few percent of the screen per frame, so this spares ffmpeg a
 * full-frame colour conversion per frame. Runs of changed blocks are read
 * straight from the framebuffer; blocks at its edge or under the pointer go
 * through a block-sized copy where the pointer is drawn.
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
      // Runs of dirty blocks inside the framebuffer and clear of the pointer are converted
      // straight from it, a run at a time; the others (edges, the pointer) block by block.
      let runFrom = -1;
      for (let bx = 0; bx <= this.cols; bx++) {
        const i = by * this.cols + bx;
        const dirty = bx < this.cols && this.dirty[i] === 1;
        const direct = dirty && this.inside(fb, bx, by) && !overlaps(rect, bx * B, by * B);
        if (direct && runFrom < 0) runFrom = bx;
        if (!direct && runFrom >= 0) {
          this.convertDirect(fb, runFrom * B, bx * B, by * B);
          runFrom = -1;
        }
        if (!dirty) continue;
        this.dirty[i] = 0;
        if (!direct) this.convertBlock(fb, bx * B, by * B, pointer, rect);
      }
    }
  }

  /** Whether block (bx, by) lies wholly inside the framebuffer and the canvas. */
  private inside(fb: Framebuffer, bx: number, by: number): boolean {
    const x1 = (bx + 1) * B;
    const y1 = (by + 1) * B;
    return x1 <= fb.width && y1 <= fb.height && x1 <= this.width && y1 <= this.height;
  }

  /**
   * Columns [x0, x1) of block row y0, read straight from the framebuffer's RGBA
   * (as 32-bit words: R in the low byte on little-endian machines, which all
   * Node platforms are). The arithmetic is convertBlock's.
   */
  private convertDirect(fb: Framebuffer, x0: number, x1: number, y0: number): void {
    const px = fb.pixels;
    const src = new Uint32Array(px.buffer, px.byteOffset, px.length >> 2);
    const f = this.frame;
    const w = this.width;
    const fw = fb.width;
    const cw = w >> 1;
    const uBase = w * this.height;
    const vBase = uBase + (uBase >> 2);
    for (let y = y0; y < y0 + B; y += 2) {
      let a = y * fw + x0;
      let b = a + fw;
      let ya = y * w + x0;
      let yb = ya + w;
      let c = (y >> 1) * cw + (x0 >> 1);
      for (let x = x0; x < x1; x += 2, a += 2, b += 2, ya += 2, yb += 2, c++) {
        const p0 = src[a]!;
        const p1 = src[a + 1]!;
        const p2 = src[b]!;
        const p3 = src[b + 1]!;
        const r0 = p0 & 0xff, g0 = (p0 >> 8) & 0xff, b0 = (p0 >> 16) & 0xff;
        const r1 = p1 & 0xff, g1 = (p1 >> 8) & 0xff, b1 = (p1 >> 16) & 0xff;
        const r2 = p2 & 0xff, g2 = (p2 >> 8) & 0xff, b2 = (p2 >> 16) & 0xff;
        const r3 = p3 & 0xff, g3 = (p3 >> 8) & 0xff, b3 = (p3 >> 16) & 0xff;
        f[ya] = ((66 * r0 + 129 * g0 + 25 * b0 + 128) >> 8) + 16;
        f[ya + 1] = ((66 * r1 + 129 * g1 + 25 * b1 + 128) >> 8) + 16;
        f[yb] = ((66 * r2 + 129 * g2 + 25 * b2 + 128) >> 8) + 16;
        f[yb + 1] = ((66 * r3 + 129 * g3 + 25 * b3 + 128) >> 8) + 16;
        const rs = r0 + r1 + r2 + r3;
        const gs = g0 + g1 + g2 + g3;
        const bs = b0 + b1 + b2 + b3;
        f[uBase + c] = ((-38 * rs - 74 * gs + 112 * bs + 512) >> 10) + 128;
        f[vBase + c] = ((112 * rs - 94 * gs - 18 * bs + 512) >> 10) + 128;
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

/** Whether the block at (x0, y0) and the rectangle share a pixel. */
function overlaps(r: Rect | undefined, x0: number, y0: number): boolean {
  return r !== undefined && r[0] < x0 + B && r[2] > x0 && r[1] < y0 + B && r[3] > y0;
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
