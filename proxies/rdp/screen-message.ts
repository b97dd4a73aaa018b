/**
 * The gateway's messages on the person's RDP screen. ScreenMessages follows
 * the connection (the relay shows it every decoded PDU) for what drawing
 * needs: the desktop size and share id of the last Demand Active, whether
 * the client is past connection finalization (the server's Font Map,
 * MS-RDPBCGR 1.3.1.1: only then may the server send graphics), the colour
 * depth the target's own bitmaps use (else the one the client confirmed),
 * and the palette at 8 bpp. `draw` gives the Update PDUs of a banner and
 * the screen records of the same update, for the recording.
 */
import { defaultPalette } from '../../src/graphics/pixels.js';
import type { ScreenRecord } from '../../src/graphics/records.js';
import { BITMAP, CapabilityType, findSet, type ActivePdu } from './codec/capabilities.js';
import type { Envelope } from './codec/envelope.js';
import { PduType, PduType2 } from './codec/share.js';
import { parseStruct } from './codec/struct.js';
import type { BitmapRect, Palette } from './codec/updates.js';
import { renderBanner } from './banner.js';
import { bannerRects, bitmapUpdatePdus, DEPTHS } from './banner-bitmaps.js';
import { desktopSize, screenRecords } from './screen.js';

/**
 * How long a disconnect keeps the person's screen with its message before the
 * connection ends: long enough to read a sentence or two (about 20 words at
 * a reading pace of 4 a second), short enough that a terminated session ends
 * promptly. Clients like mstsc show their own dialog for the Set Error Info
 * after it, so the reason stays on screen in the client's words too.
 */
export const MESSAGE_HOLD_MS = 5000;

export interface DrawnMessage {
  /** TPKT frames for the person's leg, in order. */
  pdus: Buffer[];
  /** The same update as screen records. */
  records: ScreenRecord[];
}

function preferredDepth(active: ActivePdu): number | null {
  const set = findSet(active, CapabilityType.BITMAP);
  if (!set || set.body.length < 2) return null;
  const bpp = parseStruct(set.body, 'capability/bitmap', BITMAP, 1).fields['preferredBitsPerPixel'];
  return typeof bpp === 'number' && (DEPTHS as readonly number[]).includes(bpp) ? bpp : null;
}

function serverRects(env: Envelope): BitmapRect[] {
  if (env.data?.kind === 'bitmap') return env.data.rects;
  return env.fastpath?.contents.flatMap((c) => (c.kind === 'bitmap' ? c.rects : [])) ?? [];
}

function serverPalette(env: Envelope): Palette | undefined {
  if (env.data?.kind === 'palette') return env.data.palette;
  for (const c of env.fastpath?.contents ?? []) if (c.kind === 'palette') return c.palette;
  return undefined;
}

function sizeOf(env: Envelope): { w: number; h: number } | null {
  try {
    return desktopSize(env);
  } catch {
    return null;
  }
}

export class ScreenMessages {
  private desktop: { w: number; h: number } | null = null;
  private shareId = 0;
  private finalized = false;
  private confirmedDepth: number | null = null;
  private updateDepth: number | null = null;
  private palette = defaultPalette();

  /** `io`: the I/O channel as the person's leg numbers it. */
  constructor(private readonly io: number) {}

  observe(env: Envelope): void {
    if (env.active?.kind === 'demand-active') {
      // A bitmap capability too short for the size leaves no desktop to draw on (the relay reports the PDU).
      this.desktop = sizeOf(env);
      this.shareId = env.active.shareId;
      this.finalized = false;
      this.confirmedDepth = preferredDepth(env.active);
    } else if (env.active?.kind === 'confirm-active') {
      this.confirmedDepth = preferredDepth(env.active) ?? this.confirmedDepth;
    } else if (env.dir === 's2c' && env.shareControl?.pduType === PduType.DEACTIVATEALL) {
      this.finalized = false;
    } else if (env.dir === 's2c' && env.shareData?.pduType2 === PduType2.FONTMAP) {
      this.finalized = true;
    }
    if (env.dir !== 's2c') return;
    const bpp = serverRects(env).find((r) => (DEPTHS as readonly number[]).includes(r.bitsPerPixel))?.bitsPerPixel;
    if (bpp !== undefined) this.updateDepth = bpp;
    const palette = serverPalette(env);
    if (palette) this.palette = Uint8Array.from(palette.colors.flat());
  }

  /** Whether the client's screen is up, so a message can be drawn on it. */
  get ready(): boolean {
    return this.finalized && this.desktop !== null;
  }

  /** The colour depth a banner is drawn in. */
  get depth(): number {
    return this.updateDepth ?? this.confirmedDepth ?? 16;
  }

  /** The PDUs and records that draw `message` as a banner; null before the client's screen is up or on a desktop too small. */
  draw(message: string): DrawnMessage | null {
    if (!this.ready || !this.desktop) return null;
    const banner = renderBanner(message, this.desktop.w, this.desktop.h);
    if (!banner) return null;
    const rects = bannerRects(banner, this.depth, this.palette);
    const records = screenRecords({ dir: 's2c', kind: 'tpkt', label: 'gateway-message', data: { kind: 'bitmap', rects } });
    return { pdus: bitmapUpdatePdus(rects, this.io, this.shareId), records };
  }
}
