/**
 * Which bitmaps of a run of screen records later bitmaps paint over
 * entirely. To show the screen as of a time T from the last keyframe before
 * it, only the bitmaps still visible at T need decoding: a video export's
 * part that starts mid-recording reaches its first frame that way, and on a
 * desktop scrolling text, where every tile is repainted many times a second,
 * that is a few percent of the decoding.
 *
 *   paint(rect) for each bitmap in stream order, barrier() for a record that
 *   moves or replaces the picture (DesktopSize, Keyframe); then hidden()
 *
 * Coverage is kept in 16×16 blocks of the canvas: a bitmap is hidden when
 * every block it touches is covered whole (as far as the block lies inside
 * the canvas) by one later bitmap before the next barrier. That is
 * conservative: a bitmap painted over only by several smaller ones is kept.
 * Writes are clipped to the canvas, and a framebuffer never exceeds it, so
 * what is hidden here is never seen on the screen at T.
 *
 * Memory: 16 bytes a bitmap, up to MAX_BITMAPS; past that hidden() is
 * undefined (decode everything).
 */

const B = 16;
/** x0 of a barrier; a bitmap's is clipped to 0 or more. */
const BARRIER = -1;

/** Bitmaps tracked at most (16 MiB of rectangles). */
export const MAX_BITMAPS = 1 << 20;

export class Overdraw {
  private rects = new Int32Array(4 * 1024);
  /** Records pushed (bitmaps and barriers), and bitmaps among them. */
  private count = 0;
  private bitmaps = 0;
  private overflow = false;

  constructor(
    private readonly width: number,
    private readonly height: number,
  ) {}

  /** The next bitmap, landing on x0 ≤ x < x1, y0 ≤ y < y1. */
  paint(x0: number, y0: number, x1: number, y1: number): void {
    this.push(Math.max(0, x0), Math.max(0, y0), Math.min(this.width, x1), Math.min(this.height, y1));
    this.bitmaps++;
  }

  /** A record after which pixels of earlier bitmaps may show elsewhere or not at all: nothing before it counts as covered by anything after it. */
  barrier(): void {
    this.push(BARRIER, 0, 0, 0);
  }

  /** Per bitmap (in the order painted): 1 when later bitmaps cover it; undefined when there were too many to track. */
  hidden(): Uint8Array | undefined {
    if (this.overflow) return undefined;
    const cols = Math.ceil(this.width / B);
    const rows = Math.ceil(this.height / B);
    const covered = new Uint8Array(cols * rows);
    const hidden = new Uint8Array(this.bitmaps);
    let bitmaps = this.bitmaps;
    for (let i = this.count - 1; i >= 0; i--) {
      const [x0, y0, x1, y1] = [this.rects[4 * i]!, this.rects[4 * i + 1]!, this.rects[4 * i + 2]!, this.rects[4 * i + 3]!];
      if (x0 === BARRIER) {
        covered.fill(0);
        continue;
      }
      bitmaps--;
      // A bitmap wholly off the canvas writes nothing: hidden as well.
      if (x1 <= x0 || y1 <= y0) {
        hidden[bitmaps] = 1;
        continue;
      }
      hidden[bitmaps] = allCovered(covered, cols, x0, y0, x1, y1) ? 1 : 0;
      this.cover(covered, cols, x0, y0, x1, y1);
    }
    return hidden;
  }

  /** Marks the blocks this rectangle covers whole (clipped to the canvas). */
  private cover(covered: Uint8Array, cols: number, x0: number, y0: number, x1: number, y1: number): void {
    const bx0 = Math.ceil(x0 / B);
    const by0 = Math.ceil(y0 / B);
    // A block at the canvas' right or bottom edge is whole once the rectangle reaches the edge.
    const bx1 = x1 === this.width ? Math.ceil(x1 / B) : Math.floor(x1 / B);
    const by1 = y1 === this.height ? Math.ceil(y1 / B) : Math.floor(y1 / B);
    for (let by = by0; by < by1; by++) covered.fill(1, by * cols + bx0, by * cols + Math.max(bx0, bx1));
  }

  private push(x0: number, y0: number, x1: number, y1: number): void {
    if (this.overflow) return;
    if (this.count >= MAX_BITMAPS) {
      this.overflow = true;
      this.rects = new Int32Array(0);
      return;
    }
    if (4 * this.count === this.rects.length) {
      const grown = new Int32Array(this.rects.length * 2);
      grown.set(this.rects);
      this.rects = grown;
    }
    this.rects.set([x0, y0, x1, y1], 4 * this.count++);
  }
}

function allCovered(covered: Uint8Array, cols: number, x0: number, y0: number, x1: number, y1: number): boolean {
  const bx1 = Math.floor((x1 - 1) / B);
  for (let by = Math.floor(y0 / B); by <= Math.floor((y1 - 1) / B); by++) {
    for (let bx = Math.floor(x0 / B); bx <= bx1; bx++) if (covered[by * cols + bx] === 0) return false;
  }
  return true;
}
