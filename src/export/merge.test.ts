import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FrameKind, type Frame } from '../recording/frames.js';
import { mergeByTime } from './merge.js';

const data = (t: number, s: string): Frame => ({ kind: FrameKind.Data, t, data: new TextEncoder().encode(s) });

async function* from(frames: Frame[], onReturn?: () => void): AsyncGenerator<Frame> {
  try {
    for (const f of frames) yield f;
  } finally {
    onReturn?.();
  }
}

const label = (f: Frame): string => (f.kind === FrameKind.Data ? new TextDecoder().decode(f.data) : '?');

describe('mergeByTime', () => {
  test('frames come out in time order; ties follow the order of the sources', async () => {
    const merged: string[] = [];
    const sources = [
      { label: 'input' as const, frames: from([data(5, 'i5'), data(10, 'i10'), data(30, 'i30')]) },
      { label: 'tty' as const, frames: from([data(0, 't0'), data(10, 't10'), data(10, 't10b'), data(40, 't40')]) },
    ];
    for await (const m of mergeByTime(sources)) merged.push(`${m.source}:${label(m.frame)}`);
    assert.deepEqual(merged, ['tty:t0', 'input:i5', 'input:i10', 'tty:t10', 'tty:t10b', 'input:i30', 'tty:t40']);
  });

  test('one source or an empty source merges to the other unchanged', async () => {
    const merged: string[] = [];
    for await (const m of mergeByTime([{ label: 'a', frames: from([]) }, { label: 'b', frames: from([data(1, 'x'), data(0, 'y')]) }])) {
      merged.push(label(m.frame));
    }
    assert.deepEqual(merged, ['x', 'y']);
  });

  test('stopping early closes every source', async () => {
    let closed = 0;
    const sources = [
      { label: 'a', frames: from([data(1, 'a'), data(3, 'b')], () => closed++) },
      { label: 'b', frames: from([data(2, 'c')], () => closed++) },
    ];
    for await (const m of mergeByTime(sources)) {
      if (m.frame.t === 1) break;
    }
    assert.equal(closed, 2);
  });
});
