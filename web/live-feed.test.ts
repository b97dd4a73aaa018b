import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FrameKind, type Frame } from '../src/recording/frames.js';
import { LiveFeed } from './live-feed.js';

function collect(): { feed: LiveFeed; out: string[] } {
  const out: string[] = [];
  const feed = new LiveFeed({
    write: (text) => out.push(`w:${text}`),
    resize: (cols, rows) => out.push(`r:${cols}x${rows}`),
    event: (t, e) => out.push(`e:${t}:${e.type}`),
  });
  return { feed, out };
}

const data = (bytes: Uint8Array, t = 0): Frame => ({ kind: FrameKind.Data, t, data: bytes });
const tty = { kind: 'tty', channel: 0 };

test('terminal text arrives whole however the chunks split its UTF-8, in order with resizes', () => {
  const text = 'héllo — 終わり 👋\r\n$ ';
  const bytes = Buffer.from(text, 'utf8');
  for (let cut = 0; cut <= bytes.length; cut++) {
    const { feed, out } = collect();
    feed.apply(tty, [data(bytes.subarray(0, cut))]);
    feed.apply(tty, [data(bytes.subarray(cut))]);
    assert.equal(out.map((o) => o.slice(2)).join(''), text, `cut at ${cut}`);
  }
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.array(fc.nat(), { maxLength: 6 }), (s, cuts) => {
      const b = Buffer.from(s, 'utf8');
      const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
      const { feed, out } = collect();
      let from = 0;
      for (const p of [...points, b.length]) {
        feed.apply(tty, [data(b.subarray(from, p))]);
        from = p;
      }
      assert.equal(out.map((o) => o.slice(2)).join(''), s);
    }),
  );
  const { feed, out } = collect();
  feed.apply(tty, [data(Buffer.from('a')), { kind: FrameKind.Resize, t: 1, cols: 100, rows: 30 }, data(Buffer.from('b'))]);
  assert.deepEqual(out, ['w:a', 'r:100x30', 'w:b']);
});

test('events are passed on with their time in seconds, terminal bookkeeping left out; keystrokes and other channels are not shown', () => {
  const { feed, out } = collect();
  feed.apply({ kind: 'events', channel: 0 }, [
    { kind: FrameKind.Event, t: 1500, event: { type: 'terminal', cols: 80, rows: 24 } },
    { kind: FrameKind.Event, t: 2000, event: { type: 'command', command: 'ls' } },
    { kind: FrameKind.Event, t: 2500, event: { type: 'message', message: 'hi', by: 'console:otto' } },
  ]);
  feed.apply({ kind: 'input', channel: 0 }, [data(Buffer.from('secret-typed'))]);
  feed.apply({ kind: 'tty', channel: 1 }, [data(Buffer.from('other channel'))]);
  assert.deepEqual(out, ['e:2:command', 'e:2.5:message']);
});
