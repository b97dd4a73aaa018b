/**
 * A refusal the person reads on their screen. After their Client Info the
 * client waits for licensing and the server's Demand Active; when the gateway
 * refuses then (target down, target login or certificate refused, a required
 * recording that cannot be written), it plays the server itself: licensing
 * (valid client), Demand Active, the client's Confirm Active and finalization
 * up to its Font List, the server's Synchronize, Control and Font Map
 * (MS-RDPBCGR 1.3.1.1), then the message as a banner (banner.ts). The caller
 * holds the screen a moment and says goodbye with Set Error Info.
 */
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../src/log.js';
import { BlockType, CS_CORE, EarlyCapability } from './codec/data-blocks.js';
import { decodeEnvelope, type ConnectionState, type Envelope } from './codec/envelope.js';
import { PduType2 } from './codec/share.js';
import { SocketReader } from '../wire/socket-reader.js';
import { renderBanner } from './banner.js';
import { bannerRects, bitmapUpdatePdus } from './banner-bitmaps.js';
import { rdpFrame, type GatewayChannels } from './pdus.js';
import { demandActive, finalization, GATEWAY_SHARE_ID, licenseValidClient } from './server-activation.js';

/** How long the client may take from the Demand Active to its Font List. */
const ACTIVATION_TIMEOUT_MS = 10_000;
/** PDUs the client may send before its Font List (Confirm Active, Synchronize, Controls, key lists, input). */
const MAX_ACTIVATION_PDUS = 64;
const MAX_ACTIVATION_PDU = 64 * 1024;

/** RNS_UD_32BPP_SUPPORT in supportedColorDepths (2.2.1.3.2). */
const SUPPORTS_32BPP = 0x0008;

/** The desktop the client asked for in its core data, and the depth to draw in: 32 bpp when it wants it, else its high colour depth; 16 when unsure. */
export function clientDesktop(connectInitial: Envelope): { width: number; height: number; bpp: number } | null {
  const core = connectInitial.conference?.blocks.find((b) => b.type === BlockType.CS_CORE);
  if (!core || !('struct' in core)) return null;
  const f = core.struct.fields;
  const width = f['desktopWidth'];
  const height = f['desktopHeight'];
  if (typeof width !== 'number' || typeof height !== 'number' || width < 200 || height < 200 || width > 8192 || height > 8192) return null;
  const high = f['highColorDepth'];
  const supported = typeof f['supportedColorDepths'] === 'number' ? f['supportedColorDepths'] : 0;
  const early = typeof f['earlyCapabilityFlags'] === 'number' ? f['earlyCapabilityFlags'] : 0;
  const bpp = early & EarlyCapability.WANT_32BPP_SESSION && supported & SUPPORTS_32BPP ? 32 : high === 15 || high === 16 || high === 24 ? high : 16;
  return { width, height, bpp };
}

export interface RefusalScreen {
  connectInitial: Envelope;
  state: ConnectionState;
  ids: GatewayChannels;
  /** Client bytes read past its Client Info. */
  rest: Buffer;
}

/** Activates the person's client and draws `message`; false (and nothing more sent) when that cannot be done. */
export async function drawRefusal(tls: TLSSocket, s: RefusalScreen, message: string, log: Logger): Promise<boolean> {
  const desktop = clientDesktop(s.connectInitial);
  const banner = desktop && renderBanner(message, desktop.width, desktop.height);
  if (!desktop || !banner || tls.destroyed) return false;
  tls.on('error', (err) => log.debug({ err }, 'client connection error'));
  if (s.rest.length > 0) tls.unshift(s.rest);
  const reader = new SocketReader(tls, 'client', ACTIVATION_TIMEOUT_MS);
  try {
    tls.write(licenseValidClient(s.ids.io));
    tls.write(demandActive(s.ids.io, desktop.width, desktop.height, desktop.bpp));
    const frame = rdpFrame(MAX_ACTIVATION_PDU);
    let fontList = false;
    for (let i = 0; i < MAX_ACTIVATION_PDUS && !fontList; i++) {
      const env = decodeEnvelope('c2s', await reader.next(frame), s.state);
      fontList = env.shareData?.pduType2 === PduType2.FONTLIST;
    }
    if (!fontList) {
      log.info('the RDP client sent no Font List; the refusal is not drawn');
      return false;
    }
    for (const pdu of finalization(s.ids.io, s.ids.user)) tls.write(pdu);
    for (const pdu of bitmapUpdatePdus(bannerRects(banner, desktop.bpp, new Uint8Array(0)), s.ids.io, GATEWAY_SHARE_ID)) tls.write(pdu);
    return true;
  } catch (err) {
    log.info({ err }, 'the refusal could not be drawn on the RDP client\'s screen');
    return false;
  } finally {
    reader.release();
  }
}
