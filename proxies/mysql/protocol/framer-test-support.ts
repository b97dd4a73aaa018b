/**
 * What the MySQL framer's tests share: a sink that records every callback
 * (payloads as hex), and a feed of chunks through a new framer that must
 * end on a message boundary.
 */
import assert from 'node:assert/strict';
import { PacketFramer, type PacketFramerOptions, type PacketSink } from './framer.js';

export type Event = ['message', string, number, number, boolean] | ['skipped', number, number, number];
export type Wants = (firstByte: number, length: number, seq: number) => boolean;

export const all: Wants = () => true;

/** A sink that records every callback, payloads as hex. */
export function recorder(wants: Wants = all) {
  const events: Event[] = [];
  const asked: [number, number, number][] = [];
  const sink: PacketSink = {
    wants(firstByte, length, seq) {
      asked.push([firstByte, length, seq]);
      return wants(firstByte, length, seq);
    },
    message(payload, truncated, seq, totalLength) {
      events.push(['message', payload.toString('hex'), seq, totalLength, truncated]);
    },
    skipped(firstByte, totalLength, seq) {
      events.push(['skipped', firstByte, totalLength, seq]);
    },
  };
  return { sink, events, asked };
}

export function feed(chunks: Buffer[], wants: Wants = all, options: PacketFramerOptions = { side: 'server' }): Event[] {
  const framer = new PacketFramer(options);
  const { sink, events } = recorder(wants);
  for (const c of chunks) framer.push(c, sink);
  assert.ok(framer.idle, 'stream ends on a message boundary');
  return events;
}
