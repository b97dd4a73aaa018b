import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { FrameKind, type Frame } from '../recording/frames.js';
import { playFrames } from './playback.js';

function collector(): { out: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  return { out, text: () => Buffer.concat(chunks).toString('latin1') };
}

const data = (t: number, s: string): Frame => ({ kind: FrameKind.Data, t, data: Buffer.from(s, 'latin1') });

async function* frames(list: Frame[], error?: Error): AsyncGenerator<Frame> {
  for (const f of list) yield f;
  if (error) throw error;
}

const hostile = [data(0, '\x1b[?1049h\x1b[?25lA\x1b]52;c;'), { kind: FrameKind.Resize, t: 1, cols: 100, rows: 30 } as Frame, data(2, 'eA==\x07B\x1b[6n')];

test('played output is filtered and the terminal restored at the end', async () => {
  const { out, text } = collector();
  await playFrames(frames(hostile), { speed: 1, maxIdleMs: 0, raw: false, out });
  assert.equal(text(), '\x1b[?1049h\x1b[?25lAB\x1b[?1049l\x1b[?25h');
});

test('the terminal is restored when reading the recording fails mid-way, and the error still reaches the caller', async () => {
  const { out, text } = collector();
  await assert.rejects(playFrames(frames(hostile, new Error('chunk 3 altered')), { speed: 1, maxIdleMs: 0, raw: false, out }), /chunk 3 altered/);
  assert.equal(text(), '\x1b[?1049h\x1b[?25lAB\x1b[?1049l\x1b[?25h');
});

test('--raw writes the bytes as recorded and nothing else', async () => {
  const { out, text } = collector();
  await playFrames(frames(hostile), { speed: 1, maxIdleMs: 0, raw: true, out });
  assert.equal(text(), '\x1b[?1049h\x1b[?25lA\x1b]52;c;eA==\x07B\x1b[6n');
});
