/**
 * The gateway's leg to an RDP target, up to the point where the relay takes
 * over: X.224 negotiation (TLS, or CredSSP when the target requires NLA),
 * the target's certificate checked against its pin, the person's MCS
 * Connect-Initial replayed with the recording edits, the MCS domain joined,
 * and the Client Info sent with the target's login in place of the
 * person's.
 */
import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { NlaClient } from '../../src/auth/nla-session.js';
import type { TargetConfig } from '../../src/config/index.js';
import { GatewayError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { BlockType, decodeBlock, type DecodedBlock } from './codec/data-blocks.js';
import { ConnectionState, decodeEnvelope, encodeEnvelope, type Envelope } from './codec/envelope.js';
import { readTpkt } from './codec/framer.js';
import { clearGfxFlag, withoutCompression } from './codec/restrict.js';
import { injectCredentials } from './codec/security.js';
import { NEG_FAILURE_TEXT, parseX224, Protocol } from './codec/x224.js';
import { fingerprint, type TargetPins } from '../wire/target-pins.js';
import { SocketReader } from '../wire/socket-reader.js';
import { openTargetSocket } from '../wire/tcp.js';
import { attachUserRequest, channelJoinRequest, connectionRequest, erectDomainRequest, rdpFrame } from './pdus.js';
import type { RdpTargetOptions } from './spec.js';
import { channelAllowed } from './channel-policy.js';

/** The gateway could not reach the target or log in to it; the message is safe to show the person. */
export class TargetError extends GatewayError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('RG_ERR_PROTOCOL', message, options);
  }
}

export interface TargetLink {
  socket: TLSSocket;
  /** Bytes the target sent past the last PDU read here. */
  rest: Buffer;
  io: number;
  channels: number[];
  /** The positions in the person's channel list of the channels offered to the target, in the order of `channels`. */
  offered: number[];
  user: number;
  /** The protocol the target selected (Protocol.SSL or Protocol.HYBRID). */
  selected: number;
}

/** What the person's side hands over: their decoded Connect-Initial and Client Info PDU. */
export interface PersonHandshake {
  connectInitial: Envelope;
  clientInfo: Envelope;
}

const MAX_HANDSHAKE_PDU = 64 * 1024;
const DROPPED_BLOCKS: ReadonlySet<number> = new Set([BlockType.CS_MCS_MSGCHANNEL, BlockType.CS_MULTITRANSPORT]);

function upgrade(socket: Socket): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    // The target's certificate is checked against its pin below, not against a CA.
    const tls = tlsConnect({ socket, rejectUnauthorized: false });
    tls.once('secureConnect', () => {
      tls.removeAllListeners('error');
      resolve(tls);
    });
    tls.once('error', (err) => reject(new TargetError(`TLS with the target failed: ${err.message}`, { cause: err })));
  });
}

async function checkPin(target: TargetConfig, tls: TLSSocket, pins: TargetPins, log: Logger): Promise<X509Certificate> {
  const options = target.options as RdpTargetOptions;
  const cert = tls.getPeerX509Certificate();
  const raw = cert?.raw;
  if (!cert || !raw) throw new TargetError(`recgate: ${target.name} presented no TLS certificate`);
  const seen = fingerprint(raw);
  if (options.hostKey === null) {
    log.warn({ target: target.name, seen }, 'target refused: no hostKey configured');
    throw new TargetError(`recgate: ${target.name} has no hostKey in the gateway's configuration (it presented ${seen}); an operator must pin it or set trust-on-first-use`);
  }
  const expected = pins.expected(target.name, options.hostKey);
  if (expected === null) {
    await pins.learn(target.name, seen);
    log.info({ target: target.name, hostKey: seen }, 'target certificate trusted on first use');
    return cert;
  }
  if (expected !== seen) {
    log.error({ target: target.name, expected, seen }, 'target certificate does not match its pin; connection refused');
    throw new TargetError(`recgate: ${target.name} presented a certificate that does not match its pinned hostKey; connection refused`);
  }
  return cert;
}

/** The person's Connect-Initial as the target gets it: no graphics pipeline, no channels the gateway did not offer, the target's protocol. */
function connectInitialFor(env: Envelope, selected: number, options: RdpTargetOptions): { bytes: Buffer; offered: number[] } {
  if (!env.conference) throw new TargetError('recgate: the client sent no conference data');
  const gcc = clearGfxFlag(env.conference.gcc);
  const kept = gcc.blocks.filter((b) => !DROPPED_BLOCKS.has(b.type));
  let offered: number[] = [];
  const blocks: DecodedBlock[] = kept.map((b) => {
    const d = decodeBlock(b);
    if ('channels' in d) {
      offered = d.channels.flatMap((c, i) => (channelAllowed(c.name, options) ? [i] : []));
      return { ...d, channels: offered.map((i) => d.channels[i]!) };
    }
    if (d.type === BlockType.CS_CORE && 'struct' in d && d.struct.fields['serverSelectedProtocol'] !== undefined) {
      return { ...d, struct: { ...d.struct, fields: { ...d.struct.fields, serverSelectedProtocol: selected } } };
    }
    return d;
  });
  return { bytes: encodeEnvelope({ ...env, conference: { gcc: { ...gcc, blocks: kept }, blocks } }), offered };
}

export async function connectTarget(target: TargetConfig, person: PersonHandshake, pins: TargetPins, log: Logger): Promise<TargetLink> {
  const user = target.login.user ?? '';
  const password = target.login.password?.reveal() ?? '';
  const raw = await openTargetSocket(target);
  try {
    let reader = new SocketReader(raw, 'target');
    const frame = rdpFrame(MAX_HANDSHAKE_PDU);
    raw.write(connectionRequest(`Cookie: mstshash=${user.slice(0, 64)}`, Protocol.SSL | Protocol.HYBRID));
    const confirm = parseX224(readTpkt((await reader.next(frame)).bytes));
    if (confirm.kind !== 'connection-confirm') throw new TargetError(`recgate: ${target.name} did not answer as an RDP server`);
    const neg = confirm.negotiation;
    if (neg?.type === 3) throw new TargetError(`recgate: ${target.name} refused the connection: ${NEG_FAILURE_TEXT[neg.value] ?? `failure code ${neg.value}`}`);
    if (!neg || neg.type !== 2 || (neg.value !== Protocol.SSL && neg.value !== Protocol.HYBRID)) {
      throw new TargetError(`recgate: ${target.name} offers only standard RDP security, which the gateway does not relay (TLS or NLA is needed)`);
    }
    reader.release();
    const tls = await upgrade(raw);
    const certificate = await checkPin(target, tls, pins, log);
    if (neg.value === Protocol.HYBRID) {
      const { rest } = await new NlaClient({ user, password, certificate }).login(tls);
      if (rest.length > 0) throw new TargetError(`recgate: ${target.name} sent data before the MCS connection`);
    }
    reader = new SocketReader(tls, 'target');
    const state = new ConnectionState();
    const initial = connectInitialFor(person.connectInitial, neg.value, target.options as RdpTargetOptions);
    tls.write(initial.bytes);
    const response = decodeEnvelope('s2c', await reader.next(frame), state);
    if (response.mcs?.kind !== 'connect-response') throw new TargetError(`recgate: ${target.name} sent ${response.label} instead of an MCS Connect-Response`);
    if (response.mcs.result !== 0) throw new TargetError(`recgate: ${target.name} refused the MCS connection (result ${response.mcs.result})`);
    const net = response.conference?.blocks.find((b) => 'net' in b);
    if (!net || !('net' in net)) throw new TargetError(`recgate: ${target.name} assigned no channels`);
    tls.write(erectDomainRequest());
    tls.write(attachUserRequest());
    const attach = decodeEnvelope('s2c', await reader.next(frame), state);
    if (attach.mcs?.kind !== 'attach-user-confirm' || attach.mcs.result !== 0 || attach.mcs.initiator === null) {
      throw new TargetError(`recgate: ${target.name} did not attach the gateway's MCS user (${attach.label})`);
    }
    const userId = attach.mcs.initiator;
    for (const channel of [userId, net.net.ioChannel, ...net.net.channelIds]) {
      tls.write(channelJoinRequest(userId, channel));
      const join = decodeEnvelope('s2c', await reader.next(frame), state);
      if (join.mcs?.kind !== 'channel-join-confirm' || join.mcs.result !== 0) throw new TargetError(`recgate: ${target.name} did not let the gateway join channel ${channel}`);
    }
    const info = person.clientInfo;
    if (!info.clientInfo || info.mcs?.kind !== 'send-data-request') throw new TargetError('recgate: no Client Info to send');
    const injected = withoutCompression(injectCredentials(info.clientInfo, { userName: user, password }));
    tls.write(encodeEnvelope({ ...info, mcs: { ...info.mcs, initiator: userId, channelId: net.net.ioChannel }, clientInfo: injected }));
    return { socket: tls, rest: reader.release(), io: net.net.ioChannel, channels: net.net.channelIds, offered: initial.offered, user: userId, selected: neg.value };
  } catch (err) {
    raw.destroy();
    if (err instanceof TargetError) throw err;
    throw new TargetError(`recgate: cannot log in to ${target.name}: ${(err as Error).message}`, { cause: err });
  }
}
