/**
 * One PDU with every layer decoded (the envelope), and the state a
 * connection needs to decode the next one: which MCS channel is the I/O
 * channel and which carries which virtual channel, and whether the
 * security header is still present (with TLS it travels only until the
 * capability exchange, MS-RDPBCGR 5.3.8 / 5.4).
 *
 * encodeEnvelope rebuilds the bytes from the decoded layers, innermost
 * first, so an edit at any layer reaches the wire and an unedited
 * envelope gives back exactly the bytes it came from.
 */
import { parseActive, serializeActive, type ActivePdu } from './capabilities.js';
import { ChannelReassembler, parseChannelChunk, serializeChannelChunk, type ChannelChunk, type ChannelMessage } from './channels.js';
import { dataLabel, decodeDataBody, encodeDataBody, type DataBody } from './data-body.js';
import { BlockType, decodeBlock, encodeBlock, type DecodedBlock } from './data-blocks.js';
import { codecError, throughLayers } from './errors.js';
import { decodeFastPath, encodeFastPath, type FastPathEnvelope, type FastPathState } from './fastpath.js';
import { readTpkt, writeTpkt, type Frame } from './framer.js';
import { parseConferenceCreate, serializeConferenceCreate, type ConferenceCreate } from './gcc.js';
import { parseMcs, serializeMcs, type Mcs } from './mcs.js';
import { parseClientInfo, parseSecurityHeader, recogniseLicensing, SecFlag, serializeClientInfo, serializeSecurityHeader, type ClientInfo, type LicensingPdu, type Secured } from './security.js';
import { PduType, parseShareControl, parseShareData, serializeShareControl, serializeShareData, type ShareControl, type ShareData } from './share.js';
import { parseX224, serializeX224, type X224 } from './x224.js';

export type Direction = 'c2s' | 's2c';

export interface Envelope {
  dir: Direction;
  kind: Frame['kind'];
  x224?: X224;
  mcs?: Mcs;
  conference?: { gcc: ConferenceCreate; blocks: DecodedBlock[] };
  security?: Secured;
  clientInfo?: ClientInfo;
  licensing?: LicensingPdu;
  shareControl?: ShareControl;
  active?: ActivePdu;
  shareData?: ShareData;
  data?: DataBody;
  channel?: { name: string; chunk: ChannelChunk; message: ChannelMessage | null };
  fastpath?: FastPathEnvelope;
  credssp?: Buffer;
  /** What the PDU is, for tallies and logs: `mcs:send-data-request/client-info`. */
  label: string;
}

export class ConnectionState {
  ioChannel: number | null = null;
  /** Virtual channel names by MCS channel id, once both conference halves are seen. */
  readonly channelNames = new Map<number, string>();
  private requested: string[] = [];
  /** True once the server's Demand Active went by: no more security headers. */
  activated = false;
  readonly reassembly: Record<Direction, ChannelReassembler>;
  readonly fastpath: FastPathState;

  constructor(maxChannelMessage = 16 * 1024 * 1024) {
    this.reassembly = { c2s: new ChannelReassembler(maxChannelMessage), s2c: new ChannelReassembler(maxChannelMessage) };
    this.fastpath = { output: undefined };
  }

  learn(blocks: DecodedBlock[]): void {
    for (const b of blocks) {
      if ('channels' in b) this.requested = b.channels.map((c) => c.name);
      if ('net' in b) {
        this.ioChannel = b.net.ioChannel;
        b.net.channelIds.forEach((id, i) => this.channelNames.set(id, this.requested[i] ?? `channel-${id}`));
      }
    }
  }
}

function decodeConference(env: Envelope, state: ConnectionState, userData: Buffer): void {
  const gcc = parseConferenceCreate(userData);
  const blocks = gcc.blocks.map(decodeBlock);
  state.learn(blocks);
  env.conference = { gcc, blocks };
}

function decodeSecured(env: Envelope, state: ConnectionState, body: Buffer): void {
  const sec = parseSecurityHeader(body);
  env.security = sec;
  if (sec.flags & SecFlag.INFO_PKT) {
    env.clientInfo = parseClientInfo(sec.body);
    env.label += '/client-info';
  } else if (sec.flags & SecFlag.LICENSE_PKT) {
    env.licensing = recogniseLicensing(sec.body);
    env.label += `/licensing:${env.licensing.name}`;
  } else env.label += `/security:0x${sec.flags.toString(16)}`;
}

function decodeShare(env: Envelope, state: ConnectionState, body: Buffer): void {
  const sc = parseShareControl(body);
  env.shareControl = sc;
  if (sc.pduType === PduType.DEMANDACTIVE || sc.pduType === PduType.CONFIRMACTIVE) {
    env.active = parseActive(sc.body, sc.pduType === PduType.DEMANDACTIVE ? 'demand-active' : 'confirm-active');
    if (sc.pduType === PduType.DEMANDACTIVE) state.activated = true;
    env.label += `/${env.active.kind}`;
  } else if (sc.pduType === PduType.DATA) {
    env.shareData = parseShareData(sc.body);
    env.data = decodeDataBody(env.shareData);
    env.label += `/data:${dataLabel(env.shareData.pduType2, env.data)}`;
  } else env.label += sc.totalLength === 0x8000 ? '/flow' : `/share-control:${sc.pduType}`;
}

/**
 * With TLS the basic security header travels only on the Client Info,
 * licensing, auto-detect and heartbeat PDUs (MS-RDPBCGR 2.2.8.1.1.2.1): the
 * rest of the I/O channel starts with a share control header, whose
 * totalLength is the PDU's length (or 0x8000 for flow control) and whose
 * pduType carries version 1 (0x10).
 */
export function startsShareControl(data: Buffer): boolean {
  if (data.length < 4) return false;
  const total = data.readUInt16LE(0);
  if (total === 0x8000) return true;
  const type = data.readUInt16LE(2);
  return total === data.length && (type & 0xfff0) === 0x10 && [1, 3, 6, 7, 10].includes(type & 0x0f);
}

function decodeSendData(env: Envelope, state: ConnectionState, channelId: number, userData: Buffer): void {
  if (channelId === state.ioChannel) {
    if (startsShareControl(userData)) decodeShare(env, state, userData);
    else decodeSecured(env, state, userData);
    return;
  }
  const name = state.channelNames.get(channelId);
  if (name === undefined) {
    env.label += `/channel-${channelId}`;
    return;
  }
  const chunk = parseChannelChunk(userData);
  const message = state.reassembly[env.dir].push(channelId, chunk);
  env.channel = { name, chunk, message };
  env.label += `/channel:${name}`;
}

/**
 * Decodes one framed PDU of `dir`, updating `state`. A codec error names
 * the layers the PDU was decoded through before the one that failed.
 */
export function decodeEnvelope(dir: Direction, frame: Frame, state: ConnectionState): Envelope {
  const env: Envelope = { dir, kind: frame.kind, label: frame.kind };
  try {
    return decodeLayers(env, frame, state);
  } catch (err) {
    throw throughLayers(err, [dir, ...env.label.split('/').map((l) => l.replace(/:.*/, ''))]);
  }
}

function decodeLayers(env: Envelope, frame: Frame, state: ConnectionState): Envelope {
  const dir = env.dir;
  if (frame.kind === 'credssp') {
    env.credssp = Buffer.from(frame.bytes);
    return env;
  }
  if (frame.kind === 'fastpath') {
    env.fastpath = decodeFastPath(dir, frame.bytes, state.fastpath);
    env.label = `fastpath-${dir === 'c2s' ? 'input' : 'output'}${env.fastpath.labels.map((l) => `/${l}`).join('')}`;
    return env;
  }
  const x224 = parseX224(readTpkt(frame.bytes));
  env.x224 = x224;
  env.label = `x224:${x224.kind}`;
  if (x224.kind !== 'data') return env;
  const mcs = parseMcs(x224.payload);
  env.mcs = mcs;
  env.label = `mcs:${mcs.kind}`;
  if (mcs.kind === 'connect-initial' || mcs.kind === 'connect-response') decodeConference(env, state, mcs.userData);
  else if (mcs.kind === 'send-data-request' || mcs.kind === 'send-data-indication') decodeSendData(env, state, mcs.channelId, mcs.userData);
  return env;
}

function encodeIoBody(env: Envelope): Buffer | null {
  if (env.security) {
    let body = env.security.body;
    if (env.clientInfo) body = serializeClientInfo(env.clientInfo);
    else if (env.licensing) body = env.licensing.raw;
    return serializeSecurityHeader({ ...env.security, body });
  }
  if (!env.shareControl) return null;
  let body = env.shareControl.body;
  if (env.active) body = serializeActive(env.active);
  else if (env.shareData && env.data) body = serializeShareData({ ...env.shareData, data: encodeDataBody(env.shareData.pduType2, env.data) });
  return serializeShareControl({ ...env.shareControl, body });
}

function encodeMcs(env: Envelope, mcs: Mcs): Buffer {
  if ((mcs.kind === 'connect-initial' || mcs.kind === 'connect-response') && env.conference) {
    const gcc = { ...env.conference.gcc, blocks: env.conference.blocks.map(encodeBlock) };
    return serializeMcs({ ...mcs, userData: serializeConferenceCreate(gcc) });
  }
  if (mcs.kind === 'send-data-request' || mcs.kind === 'send-data-indication') {
    const io = encodeIoBody(env);
    if (io) return serializeMcs({ ...mcs, userData: io });
    if (env.channel) return serializeMcs({ ...mcs, userData: serializeChannelChunk(env.channel.chunk) });
  }
  return serializeMcs(mcs);
}

/** The bytes of `env`, rebuilt from its decoded layers. */
export function encodeEnvelope(env: Envelope): Buffer {
  if (env.credssp) return env.credssp;
  if (env.fastpath) return encodeFastPath(env.dir, env.fastpath);
  if (!env.x224) throw codecError(['envelope'], 'an envelope without a decoded PDU');
  if (env.x224.kind !== 'data' || !env.mcs) return writeTpkt(serializeX224(env.x224));
  return writeTpkt(serializeX224({ kind: 'data', payload: encodeMcs(env, env.mcs) }));
}

export { BlockType };
