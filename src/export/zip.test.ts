import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pseudoRandomBytes } from '../../test/fixtures/export/content.js';
import { memorySource, testMeta } from '../../test/fixtures/export/memory-source.js';
import { readZip } from '../../test/fixtures/export/read-zip.js';
import { needScriptreplay, scriptreplay } from '../../test/fixtures/export/scriptreplay.js';
import { FrameKind, type Frame } from '../recording/frames.js';
import { AdvancedTimingWriter } from './advanced-timing.js';
import { AsciicastWriter } from './asciicast.js';
import { EventsWriter } from './events.js';
import type { ExportTerminal } from './source.js';
import { TypescriptWriter } from './typescript.js';
import { writeExportZip } from './zip.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const out = (t: number, s: string | Uint8Array): Frame => ({ kind: FrameKind.Data, t, data: typeof s === 'string' ? enc(s) : s });
const resize = (t: number, cols: number, rows: number): Frame => ({ kind: FrameKind.Resize, t, cols, rows });

const tty0 = [out(10, '$ '), out(1200, 'l'), out(1201, 's\r\n'), resize(1500, 100, 30), out(1600, 'caf\xc3'), out(1700, Uint8Array.of(0xa9, 0x0a))];
const input0 = [out(1200, 'l'), out(1201, 's'), out(1202, '\r')];
const tty1 = [out(5, 'second\r\n'), out(9000, '\x1b[1mbye\x1b[0m')];
const events = [
  { kind: FrameKind.Event, t: 1202, event: { type: 'command', text: 'ls' } },
  { kind: FrameKind.Event, t: 9001, event: { type: 'end', reason: 'exit' } },
] as Frame[];
const term0: ExportTerminal = { channel: 0, ttyStream: 'tty', term: 'xterm', cols: 80, rows: 24 };
const term1: ExportTerminal = { channel: 1, ttyStream: 'tty-1', cols: 132, rows: 43 };

/** What each writer produces for one terminal, straight from the writers. */
function expectedTerminal(t: ExportTerminal, stem: string, tty: Frame[], input: Frame[] | undefined, title: string): Map<string, Buffer> {
  const ts = new TypescriptWriter(testMeta, t);
  const cast = new AsciicastWriter(testMeta, t, { title });
  const names = { timing: `${stem}.timing`, output: `${stem}.tys`, input: `${stem}.in.tys` };
  const adv = input ? new AdvancedTimingWriter(testMeta, t, names) : undefined;
  const f = { tys: [ts.header()] as Uint8Array[], tm: '', cast: cast.header(), timing: adv?.header() ?? '', in: adv ? [adv.logHeader()] : [] };
  const merged = [...(input ?? []).map((fr) => ({ i: true, fr })), ...tty.map((fr) => ({ i: false, fr }))].sort((a, b) => a.fr.t - b.fr.t);
  for (const { i, fr } of merged) {
    if (fr.kind === FrameKind.Resize) {
      f.cast += cast.resize(fr.t, fr.cols, fr.rows);
      f.timing += adv?.resize(fr.t, fr.cols, fr.rows) ?? '';
    } else if (fr.kind === FrameKind.Data && i) {
      f.cast += cast.input(fr.t, fr.data);
      f.timing += adv!.input(fr.t, fr.data).timing;
      f.in.push(fr.data);
    } else if (fr.kind === FrameKind.Data) {
      const r = ts.output(fr.t, fr.data);
      f.tys.push(r.tys);
      f.tm += r.tm;
      f.cast += cast.output(fr.t, fr.data);
      f.timing += adv?.output(fr.t, fr.data).timing ?? '';
    }
  }
  f.tys.push(ts.trailer(testMeta.endedAt, testMeta.status));
  f.cast += cast.end();
  const files = new Map([
    [`${stem}.tys`, Buffer.concat(f.tys)],
    [`${stem}.tm`, Buffer.from(f.tm)],
    [`${stem}.cast`, Buffer.from(f.cast)],
  ]);
  if (adv) {
    files.set(`${stem}.timing`, Buffer.from(f.timing + adv.trailer(testMeta.endedAt)));
    files.set(`${stem}.in.tys`, Buffer.concat([...f.in, adv.logTrailer(testMeta.endedAt, testMeta.status)]));
  }
  return files;
}

function expectedEvents(): Buffer {
  const w = new EventsWriter(testMeta);
  return Buffer.from(events.map((e) => (e.kind === FrameKind.Event ? w.event(e.t, e.event) : '')).join(''));
}

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recgate-zip-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const exportDirs = async (): Promise<string[]> => (await readdir(dir)).filter((n) => n.startsWith('.recgate-export-'));

describe('writeExportZip', () => {
  test('one terminal without keystrokes: typescript, timing, cast and events', async () => {
    const path = join(dir, 'one.zip');
    const source = memorySource({ tty: tty0, events }, [term0], 'events');
    const { files } = await writeExportZip(source, path, 'rec');
    const zip = await readZip(path);
    assert.deepEqual(files, ['rec.tys', 'rec.tm', 'rec.cast', 'rec.events.jsonl']);
    assert.deepEqual(zip.names, files);
    const expected = expectedTerminal(term0, 'rec', tty0, undefined, 'alice@web01');
    for (const [name, bytes] of expected) assert.deepEqual(zip.files.get(name), bytes, name);
    assert.deepEqual(zip.files.get('rec.events.jsonl'), expectedEvents());
  });

  test('two terminals, keystrokes on the first: -1 suffix and the advanced pair', async () => {
    const path = join(dir, 'two.zip');
    const source = memorySource({ 'tty-1': tty1, tty: tty0, input: input0, events }, [term1, { ...term0, inputStream: 'input' }], 'events');
    const { files } = await writeExportZip(source, path, 'rec');
    const zip = await readZip(path);
    const names = ['rec.tys', 'rec.tm', 'rec.cast', 'rec.timing', 'rec.in.tys', 'rec-1.tys', 'rec-1.tm', 'rec-1.cast', 'rec.events.jsonl'];
    assert.deepEqual(files, names);
    assert.deepEqual(zip.names, names);
    const expected = new Map([
      ...expectedTerminal(term0, 'rec', tty0, input0, 'alice@web01'),
      ...expectedTerminal(term1, 'rec-1', tty1, undefined, 'alice@web01 (channel 1)'),
      ['rec.events.jsonl', expectedEvents()],
    ]);
    assert.deepEqual(new Set(zip.files.keys()), new Set(expected.keys()));
    for (const [name, bytes] of expected) assert.deepEqual(zip.files.get(name), bytes, name);
    assert.match(zip.files.get('rec.timing')!.toString(), /^H 0\.000000 INPUT_LOG rec\.in\.tys$/m);
  });

  test('keystrokes on both terminals give both advanced pairs; no events stream gives an empty events file', async () => {
    const path = join(dir, 'both.zip');
    const source = memorySource({ tty: tty0, input: input0, 'tty-1': tty1, 'input-1': [out(6, 'q')] }, [
      { ...term0, inputStream: 'input' },
      { ...term1, inputStream: 'input-1' },
    ]);
    await writeExportZip(source, path, 'x');
    const zip = await readZip(path);
    assert.deepEqual(zip.names, ['x.tys', 'x.tm', 'x.cast', 'x.timing', 'x.in.tys', 'x-1.tys', 'x-1.tm', 'x-1.cast', 'x-1.timing', 'x-1.in.tys', 'x.events.jsonl']);
    assert.equal(zip.files.get('x.events.jsonl')!.length, 0);
  });

  test('an input stream without a keystroke (a database session) writes no .timing and no .in.tys', async () => {
    const path = join(dir, 'db.zip');
    const source = memorySource({ tty: tty0, input: [resize(3, 80, 24)], events }, [{ ...term0, inputStream: 'input' }], 'events');
    const { files } = await writeExportZip(source, path, 'db');
    assert.deepEqual(files, ['db.tys', 'db.tm', 'db.cast', 'db.events.jsonl']);
    const zip = await readZip(path);
    for (const [name, bytes] of expectedTerminal(term0, 'db', tty0, undefined, 'alice@web01')) assert.deepEqual(zip.files.get(name), bytes, name);
  });

  test('the exported files replay with real scriptreplay', async (t) => {
    if (!needScriptreplay(t)) return;
    const path = join(dir, 'replay.zip');
    await writeExportZip(memorySource({ tty: tty0, input: input0 }, [{ ...term0, inputStream: 'input' }]), path, 'rec');
    const { files } = await readZip(path);
    const output = Buffer.concat([...tty0.flatMap((f) => (f.kind === FrameKind.Data ? [f.data] : [])), Buffer.from('\n')]);
    const input = Buffer.concat([...input0.flatMap((f) => (f.kind === FrameKind.Data ? [f.data] : [])), Buffer.from('\n')]);
    const on = Object.fromEntries(files);
    assert.deepEqual(await scriptreplay(on, ['-t', 'rec.tm', 'rec.tys']), output);
    assert.deepEqual(await scriptreplay(on, ['-T', 'rec.timing', '-O', 'rec.tys', '-I', 'rec.in.tys']), output);
    const keys = ['-T', 'rec.timing', '-O', 'rec.tys', '-I', 'rec.in.tys', '--stream', 'in', '--cr-mode', 'never'];
    assert.deepEqual(await scriptreplay(on, keys), input);
  });

  test('a failing stream leaves no zip and no temporary files, and keeps a previous file', async () => {
    const path = join(dir, 'fail.zip');
    await writeFile(path, 'previous');
    const before = await exportDirs();
    async function* broken(): AsyncGenerator<Frame> {
      yield out(1, 'a');
      throw new Error('chunk 3 failed to open');
    }
    const source = memorySource({ tty: tty0, 'tty-1': broken }, [term0, term1]);
    await assert.rejects(writeExportZip(source, path, 'rec'), /chunk 3 failed to open/);
    assert.equal(await readFile(path, 'utf8'), 'previous');
    assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('fail.zip')), ['fail.zip']);
    assert.deepEqual(await exportDirs(), before);
  });

  test('an existing zip is replaced whole', async () => {
    const path = join(dir, 'replace.zip');
    await writeFile(path, 'old');
    await writeExportZip(memorySource({ 'tty-1': tty1 }, [term1]), path, 'r');
    assert.deepEqual((await readZip(path)).names, ['r.tys', 'r.tm', 'r.cast', 'r.events.jsonl']);
  });

  test('a base name with a path separator is refused', async () => {
    await assert.rejects(writeExportZip(memorySource({ tty: tty0 }, [term0]), join(dir, 'bad.zip'), '../evil'), { code: 'RG_ERR_USAGE' });
  });

  test('a 24 MiB stream passes through frame by frame', async () => {
    const frame = pseudoRandomBytes(1 << 20, 5).map((b) => (b % 16 === 0 ? 0x0a : 0x20 + (b % 95)));
    const hash = createHash('sha256');
    const ts = new TypescriptWriter(testMeta, term1);
    hash.update(ts.header());
    for (let i = 0; i < 24; i++) hash.update(ts.output(i * 100, frame).tys);
    hash.update(ts.trailer(testMeta.endedAt, testMeta.status));
    async function* big(): AsyncGenerator<Frame> {
      for (let i = 0; i < 24; i++) yield out(i * 100, frame);
    }
    const path = join(dir, 'big.zip');
    await writeExportZip(memorySource({ 'tty-1': big }, [term1]), path, 'big');
    const zip = await readZip(path, 0);
    assert.equal(zip.sha256.get('big.tys'), hash.digest('hex'));
  });
});
