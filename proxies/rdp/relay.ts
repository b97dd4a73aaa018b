/**
 * The RDP relay once both legs are up: PDU by PDU in each direction, every
 * PDU decoded (to follow the connection and record it) — slow-path PDUs
 * before they are relayed (they may be edited or dropped), fast-path PDUs
 * after, with all recording work queued behind the write — the capability
 * exchange restricted to what the recording renders, channel ids mapped
 * between the two legs' numbering, the screen recorded through a
 * ScreenKeyframer and the person's input as events. Warnings reach the
 * person as a banner on their screen; operators' controls (terminate, limits)
 * as a banner held a few seconds, then a Set Error Info PDU and an MCS
 * Disconnect Provider Ultimatum.
 */
import type { TLSSocket } from 'node:tls';
import { ActivityCounter } from '../../src/graphics/activity.js';
import { ScreenKeyframer } from '../../src/graphics/keyframer.js';
import type { ScreenRecord } from '../../src/graphics/records.js';
import type { EndReason, Session } from '../../src/session/session.js';
import { ConnectionState, decodeEnvelope, encodeEnvelope, type Direction, type Envelope } from './codec/envelope.js';
import { RdpFramer, type Frame } from './codec/framer.js';
import { restrictCapabilities } from './codec/restrict.js';
import { ClipboardPolicy } from './channel-policy.js';
import { DevicePolicy } from './device-policy.js';
import { InputObserver } from './input.js';
import { RecordQueue } from './record-queue.js';
import type { RdpTargetOptions } from './spec.js';
import { screenRecords as recordsOf } from './screen.js';
import { MESSAGE_HOLD_MS, ScreenMessages } from './screen-message.js';
import { disconnectUltimatum, ErrorInfo, mapChannels, sendDataChannel, setErrorInfo, type GatewayChannels } from './pdus.js';
import type { TargetLink } from './target.js';

const ERROR_INFO: Partial<Record<EndReason, number>> = {
  'idle-timeout': ErrorInfo.IDLE_TIMEOUT,
  'max-duration': ErrorInfo.LOGON_TIMEOUT,
};

export interface RelayOptions {
  client: TLSSocket;
  clientRest: Buffer;
  target: TargetLink;
  session: Session;
  /** The channels as the person's leg numbers them. */
  ids: GatewayChannels;
  /** The person's leg's connection state after the MCS exchange (gateway numbering). */
  state: ConnectionState;
  keystrokes: boolean;
  clipboard: RdpTargetOptions['clipboard'];
  redirect: RdpTargetOptions['redirect'];
}

export function startRelay(o: RelayOptions): void {
  const { client, target, session, ids, state } = o;
  const log = session.log;
  const toTarget = new Map<number, number>([[ids.io, target.io], [ids.user, target.user]]);
  target.offered.forEach((position, j) => target.channels[j] !== undefined && toTarget.set(ids.channels[position]!, target.channels[j]!));
  // Channels the person was given that the target was not offered: what they send there is dropped.
  const unoffered = new Set(ids.channels.filter((id) => !toTarget.has(id)));
  const clipboard = new ClipboardPolicy(o.clipboard);
  const devices = new DevicePolicy(o.redirect);
  const toClient = new Map([...toTarget].map(([a, b]) => [b, a]));
  const keyframer = new ScreenKeyframer();
  const input = new InputObserver(o.keystrokes);
  let ended = false;
  /** Set while a disconnect's message is on screen: nothing more is relayed either way. */
  let holding = false;
  const messages = new ScreenMessages(ids.io);
  let warned = 0;

  const activity = new ActivityCounter();
  const later = new RecordQueue((err) => {
    log.error({ err }, 'the recording of relayed PDUs failed; closing');
    void finish('error');
  });

  /** Screen records into the recording, and each second that saw a change as an `activity` event. */
  const screen = (records: ScreenRecord[]): void => {
    if (records.length === 0) return;
    const t = session.now();
    session.screen(keyframer.update(t, records));
    const second = activity.add(t, records);
    if (second) session.event({ type: 'activity', ...second });
  };

  /** The envelope edited as recording needs; true when it changed. */
  const edit = (env: Envelope): boolean => {
    if (env.active) {
      env.active = restrictCapabilities(env.active);
      return true;
    }
    if (env.dir === 'c2s' && env.shareControl && env.shareControl.pduSource === ids.user) {
      env.shareControl = { ...env.shareControl, pduSource: target.user };
      return true;
    }
    return false;
  };

  /** What one relayed PDU records: screen records, or the person's input and what it shows. */
  const record = (dir: Direction, frame: Frame, env: Envelope): void => {
    if (dir === 's2c') return screen(recordsOf(env));
    if (env.fastpath?.input || env.data?.kind === 'input') {
      session.input(frame.bytes);
      const seen = input.observe(env);
      for (const e of seen.events) session.event(e);
      screen(seen.screen);
    }
  };

  const decode = (dir: Direction, frame: Frame): Envelope | null => {
    try {
      return decodeEnvelope(dir, frame, state);
    } catch (err) {
      if (warned++ < 5) log.warn({ err, dir }, 'a PDU the gateway cannot decode was relayed unrecorded');
      return null;
    }
  };

  /**
   * The bytes to relay for one PDU, or null when it is dropped; what it
   * records is queued to run after the write. A fast-path PDU carries no
   * channel id and is never edited, so it leaves as it came and is decoded
   * for the recording only afterwards.
   */
  const pass = (dir: Direction, frame: Frame): Buffer | null => {
    if (holding) return null;
    if (frame.kind === 'fastpath') {
      later.add(() => {
        const env = decode(dir, frame);
        if (!env) return;
        messages.observe(env);
        record(dir, frame, env);
      }, frame.bytes.length);
      return frame.bytes;
    }
    // Server PDUs are read in the person's numbering, client PDUs are numbered for the target after.
    const bytes = dir === 's2c' ? mapChannels(frame, toClient) : frame.bytes;
    const env = decode(dir, { kind: frame.kind, bytes });
    if (!env) {
      if (dir === 's2c') return bytes;
      const channel = sendDataChannel(frame);
      return channel !== null && unoffered.has(channel) ? null : mapChannels(frame, toTarget);
    }
    messages.observe(env);
    if (dir === 'c2s' && env.mcs?.kind === 'send-data-request' && unoffered.has(env.mcs.channelId)) return null;
    if (env.channel) {
      if (!clipboard.passes(env)) return null;
      // Only what crossed is a transfer: a response the policy held back is none.
      const copied = clipboard.transfer(env);
      if (copied) later.add(() => session.event({ type: 'clipboard', from: copied.from === 'client' ? 'person' : 'target', length: copied.text.length, ...(o.keystrokes ? { text: copied.text } : {}) }));
      const device = devices.decide(env);
      if (device.action === 'hold') return null;
      if (device.action === 'drop') {
        log.warn({ reason: device.reason }, 'a device list the gateway cannot read was not passed to the target');
        return null;
      }
      if (device.action === 'replace') {
        later.add(() => device.devices.forEach((d) => session.event({ type: 'device', ...d })));
        const pdus = device.chunks.map((chunk) => mapChannels({ kind: frame.kind, bytes: encodeEnvelope({ ...env, channel: { ...env.channel!, chunk } }) }, toTarget));
        return Buffer.concat(pdus);
      }
    }
    const out = edit(env) ? encodeEnvelope(env) : bytes;
    later.add(() => record(dir, frame, env), frame.bytes.length);
    return dir === 's2c' ? out : mapChannels({ kind: frame.kind, bytes: out }, toTarget);
  };

  const pipe = (dir: Direction, from: TLSSocket, to: TLSSocket, first: Buffer): void => {
    const framer = new RdpFramer();
    // Reading stops while the other leg or the recording is behind, and goes on when neither is.
    let holds = 0;
    const hold = (until: (go: () => void) => void): void => {
      if (holds++ === 0) from.pause();
      until(() => {
        if (--holds === 0) from.resume();
      });
    };
    const onData = (chunk: Buffer): void => {
      let frames: Frame[];
      try {
        frames = framer.push(chunk);
      } catch (err) {
        log.warn({ err, dir }, dir === 'c2s' ? 'the client sent what is not RDP; closing' : 'the target sent what is not RDP; closing');
        void finish('error');
        return;
      }
      if (frames.length === 0) return;
      // The PDUs of one read leave in one write (one TLS record), before any recording work.
      let full = false;
      to.cork();
      try {
        for (const f of frames) {
          const out = pass(dir, f);
          if (out && !to.write(out)) full = true;
        }
      } catch (err) {
        // A fault in the gateway's own handling of a PDU ends this session, closed: the PDU is
        // not passed on unread, and the fault does not reach the process (every session's).
        to.uncork();
        log.error({ err, dir }, 'relaying a PDU failed; closing the session');
        void finish('error');
        return;
      }
      to.uncork();
      if (full) hold((go) => to.once('drain', go));
      if (later.backlogged) hold((go) => later.whenDrained(go));
    };
    from.on('data', onData);
    if (first.length > 0) onData(first);
    if (holds === 0) from.resume();
  };

  const finish = async (reason: EndReason): Promise<void> => {
    if (ended) return;
    ended = true;
    later.drain();
    const typed = input.flush();
    if (typed) session.event(typed);
    const second = activity.flush();
    if (second) session.event({ type: 'activity', ...second });
    // A goodbye under way (Set Error Info, ultimatum) is let through; its timer closes the socket.
    if (!client.writableEnded) client.destroy();
    target.socket.destroy();
    await session.end(reason);
  };

  const goodbye = (code: number): void => {
    if (client.destroyed) return;
    client.write(setErrorInfo(ids.io, code));
    client.end(disconnectUltimatum());
    setTimeout(() => client.destroy(), 2000).unref();
  };

  /** Draws `message` on the person's screen and records it there; false when their screen is not up yet. */
  const show = (message: string): boolean => {
    // What is queued for the recording goes first: the banner lies over it, and the drawing follows the target's palette and depth as of now.
    later.drain();
    const drawn = client.destroyed ? null : messages.draw(message);
    if (!drawn) return false;
    for (const pdu of drawn.pdus) client.write(pdu);
    screen(drawn.records);
    return true;
  };

  session.attach({
    notify: (message) => {
      if (!show(message)) log.info({ message }, 'a warning the RDP client cannot show yet; recorded only');
    },
    disconnect: (reason, message) => {
      log.info({ reason, message }, 'disconnecting the RDP client');
      holding = show(message);
      target.socket.end(disconnectUltimatum());
      const leave = (): void => {
        goodbye(ERROR_INFO[reason] ?? ErrorInfo.RPC_INITIATED_DISCONNECT);
        setTimeout(() => void finish(reason), 2000).unref();
      };
      if (holding) setTimeout(leave, MESSAGE_HOLD_MS).unref();
      else leave();
    },
  });
  client.on('error', (err) => log.debug({ err }, 'client connection error'));
  target.socket.on('error', (err) => log.warn({ err }, 'target connection error'));
  client.on('close', () => void finish('closed'));
  target.socket.on('close', () => {
    if (holding) return;
    if (!ended) goodbye(ErrorInfo.RPC_INITIATED_DISCONNECT);
    void finish('target-closed');
  });
  pipe('c2s', client, target.socket, o.clientRest);
  pipe('s2c', target.socket, client, target.rest);
}
