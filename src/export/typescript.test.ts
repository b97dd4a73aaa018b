import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { concatWrites, contentCases, type Write } from '../../test/fixtures/export/content.js';
import { needScriptreplay, scriptreplay } from '../../test/fixtures/export/scriptreplay.js';
import type { Track } from './source.js';
import { TypescriptWriter } from './typescript.js';

const meta = { startedAt: '2024-05-01T10:00:00.250Z' };
const track: Track = { channel: 0, term: 'xterm-256color', cols: 120, rows: 40 };

function typescript(writes: Write[], t: Track = track): { tys: Buffer; tm: string } {
  const w = new TypescriptWriter(meta, t);
  const tys: Uint8Array[] = [w.header()];
  let tm = '';
  for (const { t: time, data } of writes) {
    const out = w.output(time, data);
    tys.push(out.tys);
    tm += out.tm;
  }
  tys.push(w.trailer('2024-05-01T10:05:00Z', 'complete'));
  return { tys: Buffer.concat(tys), tm };
}

describe('TypescriptWriter', () => {
  test('header is the one line script writes, in UTC', () => {
    const header = Buffer.from(new TypescriptWriter(meta, track).header()).toString();
    assert.equal(header, 'Script started on 2024-05-01 10:00:00+00:00 [TERM="xterm-256color" COLUMNS="120" LINES="40"]\n');
  });

  test('header without a terminal type has only the size', () => {
    const header = Buffer.from(new TypescriptWriter(meta, { channel: 0, cols: 80, rows: 24 }).header()).toString();
    assert.equal(header, 'Script started on 2024-05-01 10:00:00+00:00 [COLUMNS="80" LINES="24"]\n');
  });

  test('a terminal type with a newline or quote cannot break the header line', () => {
    const header = Buffer.from(new TypescriptWriter(meta, { ...track, term: 'xterm"\n] evil' }).header()).toString();
    assert.equal(header, 'Script started on 2024-05-01 10:00:00+00:00 [TERM="xtermevil" COLUMNS="120" LINES="40"]\n');
  });

  test('classic timing: delay since the previous output, six decimals, bytes', () => {
    const data = new Uint8Array(3);
    const { tm } = typescript([
      { t: 0, data },
      { t: 1500, data: data.subarray(0, 1) },
      { t: 1500, data },
      { t: 62001, data: new Uint8Array(70000) },
    ]);
    assert.equal(tm, '0.000000 3\n1.500000 1\n0.000000 3\n60.501000 70000\n');
  });

  test('the first delay counts from the session start', () => {
    assert.equal(typescript([{ t: 250, data: new Uint8Array(1) }]).tm, '0.250000 1\n');
  });

  test('empty writes get no timing entry and their time is not lost', () => {
    const { tm } = typescript([
      { t: 100, data: new Uint8Array(0) },
      { t: 300, data: new Uint8Array(2) },
    ]);
    assert.equal(tm, '0.300000 2\n');
  });

  test('time running backwards gives delay 0', () => {
    const { tm } = typescript([
      { t: 500, data: new Uint8Array(1) },
      { t: 200, data: new Uint8Array(1) },
      { t: 700, data: new Uint8Array(1) },
    ]);
    assert.equal(tm, '0.500000 1\n0.000000 1\n0.200000 1\n');
  });

  test('trailer names the end time and status in script\'s message form', () => {
    const w = new TypescriptWriter(meta, track);
    assert.equal(Buffer.from(w.trailer('2024-05-01T11:00:00Z', 'interrupted')).toString(),
      '\nScript done on 2024-05-01 11:00:00+00:00 [<interrupted>]\n');
  });

  test('trailer without an end time uses the last output', () => {
    const w = new TypescriptWriter(meta, track);
    w.output(61_000, new Uint8Array(1));
    assert.equal(Buffer.from(w.trailer()).toString(), '\nScript done on 2024-05-01 10:01:01+00:00 [<recording ended>]\n');
  });

  test('an invalid start time is a recording error', () => {
    assert.throws(() => new TypescriptWriter({ startedAt: 'yesterday' }, track), { code: 'RG_ERR_RECORDING' });
  });
});

describe('scriptreplay -t NAME.tm NAME.tys reproduces the output exactly', () => {
  for (const c of contentCases) {
    test(c.name, async (t) => {
      if (!needScriptreplay(t)) return;
      const { tys, tm } = typescript(c.writes);
      const replayed = await scriptreplay({ 'r.tys': tys, 'r.tm': tm }, ['-t', 'r.tm', 'r.tys']);
      // scriptreplay ends every replay with one newline of its own
      assert.deepEqual(replayed, Buffer.concat([concatWrites(c.writes), Buffer.from('\n')]));
    });
  }

  test('a recording without output replays nothing', async (t) => {
    if (!needScriptreplay(t)) return;
    const { tys, tm } = typescript([]);
    assert.equal(tm, '');
    assert.deepEqual(await scriptreplay({ 'r.tys': tys, 'r.tm': tm }, ['-t', 'r.tm', 'r.tys']), Buffer.from('\n'));
  });

  test('a hostile terminal type still replays exactly', async (t) => {
    if (!needScriptreplay(t)) return;
    const writes = contentCases[0]!.writes;
    const { tys, tm } = typescript(writes, { ...track, term: 'a\nb\r\nc' });
    const replayed = await scriptreplay({ 'r.tys': tys, 'r.tm': tm }, ['-t', 'r.tm', 'r.tys']);
    assert.deepEqual(replayed, Buffer.concat([concatWrites(writes), Buffer.from('\n')]));
  });
});
