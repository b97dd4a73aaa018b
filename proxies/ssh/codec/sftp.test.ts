import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../../src/errors.js';
import { MAX_TRACKED, SftpObserver, type SftpEvent } from './sftp.js';
import { packet, reply, request } from './sftp-serializer.js';
import { MAX_PACKET_LENGTH, OpenFlag, PacketType } from './sftp-wire.js';

/** One chunk of the channel, from the client (c) or the server (s). */
type Step = { from: 'c' | 's'; bytes: Uint8Array };

const c = (bytes: Uint8Array): Step => ({ from: 'c', bytes });
const s = (bytes: Uint8Array): Step => ({ from: 's', bytes });

const FX_OK = 0;
const FX_EOF = 1;
const FX_NO_SUCH_FILE = 2;
const FX_PERMISSION_DENIED = 3;

const start: Step[] = [c(request.init(3)), s(reply.version(3))];

function feed(steps: Step[], observer = new SftpObserver()): SftpEvent[] {
  return steps.flatMap((st) => (st.from === 'c' ? observer.clientData(st.bytes) : observer.serverData(st.bytes)));
}

const bytes = (n: number, fill = 0x61): Uint8Array => new Uint8Array(n).fill(fill);

/** open for writing, three writes, close; ids from `id`. */
function put(path: string, handle: string, sizes: number[], id = 1): Step[] {
  const steps: Step[] = [c(request.open(id, path, OpenFlag.Write | OpenFlag.Creat | OpenFlag.Trunc)), s(reply.handle(id, handle))];
  let offset = 0;
  sizes.forEach((n, i) => {
    steps.push(c(request.write(id + 1 + i, handle, offset, bytes(n))), s(reply.status(id + 1 + i, FX_OK)));
    offset += n;
  });
  const closeId = id + 1 + sizes.length;
  steps.push(c(request.close(closeId, handle)), s(reply.status(closeId, FX_OK)));
  return steps;
}

/** open for reading, reads answered with DATA of `sizes`, one read at EOF, close. */
function get(path: string, handle: string, sizes: number[], id = 1): Step[] {
  const steps: Step[] = [c(request.open(id, path, OpenFlag.Read)), s(reply.handle(id, handle))];
  let offset = 0;
  sizes.forEach((n, i) => {
    steps.push(c(request.read(id + 1 + i, handle, offset, 32768)), s(reply.data(id + 1 + i, bytes(n, 0x62))));
    offset += n;
  });
  const eofId = id + 1 + sizes.length;
  steps.push(c(request.read(eofId, handle, offset, 32768)), s(reply.status(eofId, FX_EOF)));
  steps.push(c(request.close(eofId + 1, handle)), s(reply.status(eofId + 1, FX_OK)));
  return steps;
}

function misc(): Step[] {
  return [
    c(request.rename(20, '/home/alice/a.txt', '/home/alice/b.txt')),
    s(reply.status(20, FX_OK)),
    c(request.remove(21, '/home/alice/b.txt')),
    s(reply.status(21, FX_OK)),
    c(request.mkdir(22, '/home/alice/new')),
    s(reply.status(22, FX_OK)),
    c(request.rmdir(23, '/home/alice/old')),
    s(reply.status(23, FX_NO_SUCH_FILE, 'No such file')),
    c(request.opendir(24, '/etc')),
    s(reply.handle(24, 'D1')),
    c(request.readdir(25, 'D1')),
    s(reply.name(25, ['passwd', 'group'])),
    c(request.close(26, 'D1')),
    s(reply.status(26, FX_OK)),
    c(request.setstat(27, '/home/alice/x')),
    s(reply.status(27, FX_PERMISSION_DENIED)),
    c(request.symlink(28, '/etc/passwd', '/home/alice/pw')),
    s(reply.status(28, FX_OK)),
    c(request.extended(29, 'posix-rename@openssh.com', '/tmp/1', '/tmp/2')),
    s(reply.status(29, FX_OK)),
    c(request.stat(30, '/etc/shadow')),
    s(reply.attrs(30)),
  ];
}

/** A session touching every kind of event the observer reports. */
function fullSession(): Step[] {
  return [...start, ...put('/tmp/up.bin', 'H1', [300, 300, 100]), ...get('/srv/down.txt', 'H2', [1000, 24], 10), ...misc()];
}

describe('SftpObserver', () => {
  test('a put reports one write with the sum of the data sent', () => {
    assert.deepEqual(feed([...start, ...put('/tmp/up.bin', 'H1', [32768, 32768, 100])]), [
      { type: 'file', op: 'write', path: '/tmp/up.bin', bytes: 65636 },
    ]);
  });

  test('a get reports one read with the sum of the DATA replies', () => {
    assert.deepEqual(feed([...start, ...get('/srv/down.txt', 'H2', [1000, 24])]), [
      { type: 'file', op: 'read', path: '/srv/down.txt', bytes: 1024 },
    ]);
  });

  test('a handle both read and written reports both; one neither reports open', () => {
    const events = feed([
      ...start,
      c(request.open(1, '/data', OpenFlag.Read | OpenFlag.Write)),
      s(reply.handle(1, 'H')),
      c(request.write(2, 'H', 0, bytes(10))),
      c(request.read(3, 'H', 0, 100)),
      s(reply.status(2, FX_OK)),
      s(reply.data(3, bytes(7))),
      c(request.open(4, '/empty', OpenFlag.Read)),
      s(reply.handle(4, 'E')),
      c(request.close(5, 'H')),
      c(request.close(6, 'E')),
      s(reply.status(5, FX_OK)),
      s(reply.status(6, FX_OK)),
    ]);
    assert.deepEqual(events, [
      { type: 'file', op: 'read', path: '/data', bytes: 7 },
      { type: 'file', op: 'write', path: '/data', bytes: 10 },
      { type: 'file', op: 'open', path: '/empty', bytes: 0 },
    ]);
  });

  test('rename, remove, mkdir, rmdir, list, setstat, symlink and posix-rename are reported with their status', () => {
    assert.deepEqual(feed([...start, ...misc()]), [
      { type: 'file', op: 'rename', path: '/home/alice/a.txt', newPath: '/home/alice/b.txt' },
      { type: 'file', op: 'remove', path: '/home/alice/b.txt' },
      { type: 'file', op: 'mkdir', path: '/home/alice/new' },
      { type: 'file', op: 'rmdir', path: '/home/alice/old', error: 'no such file' },
      { type: 'file', op: 'list', path: '/etc' },
      { type: 'file', op: 'setstat', path: '/home/alice/x', error: 'permission denied' },
      { type: 'file', op: 'symlink', path: '/etc/passwd', newPath: '/home/alice/pw' },
      { type: 'file', op: 'rename', path: '/tmp/1', newPath: '/tmp/2' },
    ]);
  });

  test('an OPEN answered with an error STATUS reports the error, not the server message', () => {
    const events = feed([
      ...start,
      c(request.open(7, '/etc/shadow', OpenFlag.Read)),
      s(reply.status(7, FX_PERMISSION_DENIED, 'a long server message that is not kept')),
      c(request.open(8, '/nope', OpenFlag.Read)),
      s(reply.status(8, FX_NO_SUCH_FILE)),
    ]);
    assert.deepEqual(events, [
      { type: 'file', op: 'open', path: '/etc/shadow', error: 'permission denied' },
      { type: 'file', op: 'open', path: '/nope', error: 'no such file' },
    ]);
  });

  test('a failed WRITE marks the transfer with its error', () => {
    const events = feed([
      ...start,
      c(request.open(1, '/full', OpenFlag.Write)),
      s(reply.handle(1, 'H')),
      c(request.write(2, 'H', 0, bytes(5))),
      s(reply.status(2, 4)),
      c(request.close(3, 'H')),
      s(reply.status(3, FX_OK)),
    ]);
    assert.deepEqual(events, [{ type: 'file', op: 'write', path: '/full', bytes: 5, error: 'failure' }]);
  });

  test('fsetstat names the path of its handle', () => {
    const events = feed([
      ...start,
      c(request.open(1, '/f', OpenFlag.Write)),
      s(reply.handle(1, 'H')),
      c(request.fsetstat(2, 'H')),
      s(reply.status(2, FX_OK)),
    ]);
    assert.deepEqual(events, [{ type: 'file', op: 'setstat', path: '/f' }]);
  });

  test('every message split at every byte boundary gives the same events', () => {
    const steps = fullSession();
    const whole = feed(steps);
    assert.equal(whole.length, 10);
    for (let i = 0; i < steps.length; i++) {
      const b = steps[i]!.bytes;
      for (let k = 1; k < b.length; k++) {
        const split = [...steps.slice(0, i), { ...steps[i]!, bytes: b.subarray(0, k) }, { ...steps[i]!, bytes: b.subarray(k) }, ...steps.slice(i + 1)];
        assert.deepEqual(feed(split), whole, `step ${i} split at ${k}`);
      }
    }
  });

  test('the whole client stream fed one byte at a time gives the same events', () => {
    const steps = [...start, ...misc()];
    const observer = new SftpObserver();
    const events: SftpEvent[] = [];
    for (const st of steps) {
      for (const b of st.bytes) events.push(...(st.from === 'c' ? observer.clientData(Uint8Array.of(b)) : observer.serverData(Uint8Array.of(b))));
    }
    assert.deepEqual(events, feed(steps));
  });

  test('end reports handles never closed and requests never answered', () => {
    const observer = new SftpObserver();
    feed([...start, c(request.open(1, '/a', OpenFlag.Write)), s(reply.handle(1, 'H')), c(request.write(2, 'H', 0, bytes(3))), c(request.remove(3, '/b'))], observer);
    assert.deepEqual(observer.end(), [
      { type: 'file', op: 'remove', path: '/b', error: 'no reply' },
      { type: 'file', op: 'write', path: '/a', bytes: 3, error: 'not closed' },
    ]);
    assert.deepEqual(observer.end(), []);
  });

  test('paths are cut to 4096 characters', () => {
    const long = 'é'.repeat(10_000);
    const [event] = feed([...start, c(request.remove(1, long)), s(reply.status(1, FX_OK))]);
    assert.equal(event?.path, 'é'.repeat(4096));
  });

  test('more than 10 000 requests awaiting a reply drop the oldest with one overflow event', () => {
    const observer = new SftpObserver();
    feed(start, observer);
    const events: SftpEvent[] = [];
    for (let id = 0; id < MAX_TRACKED + 5; id++) events.push(...observer.clientData(request.mkdir(id, `/d${id}`)));
    assert.deepEqual(events.filter((e) => e.op === 'overflow'), [{ type: 'file', op: 'overflow' }]);
    assert.deepEqual(events.filter((e) => e.op === 'mkdir').map((e) => e.path), ['/d0', '/d1', '/d2', '/d3', '/d4']);
    assert.deepEqual(observer.serverData(reply.status(MAX_TRACKED + 4, FX_OK)), [{ type: 'file', op: 'mkdir', path: `/d${MAX_TRACKED + 4}` }]);
  });

  test('more than 10 000 open handles drop the oldest, reporting what it moved', () => {
    const observer = new SftpObserver();
    feed(start, observer);
    const events: SftpEvent[] = [];
    for (let id = 0; id <= MAX_TRACKED; id++) {
      events.push(...observer.clientData(request.open(id, `/f${id}`, OpenFlag.Read)));
      events.push(...observer.serverData(reply.handle(id, `h${id}`)));
    }
    assert.deepEqual(events, [
      { type: 'file', op: 'open', path: '/f0', bytes: 0, error: 'untracked' },
      { type: 'file', op: 'overflow' },
    ]);
  });
});

describe('SftpObserver refuses malformed channels', () => {
  const refuses = (steps: Step[], message: RegExp): void => {
    assert.throws(
      () => feed(steps),
      (err: unknown) => err instanceof ProtocolError && err.code === 'RG_ERR_PROTOCOL' && err.layers.join('/') === 'ssh/sftp' && message.test(err.message),
    );
  };

  test('a packet longer than 256 KiB + 13', () => {
    const header = new Uint8Array(5);
    new DataView(header.buffer).setUint32(0, MAX_PACKET_LENGTH + 1);
    header[4] = PacketType.Write;
    refuses([...start, c(header)], /exceeds/);
  });

  test('a packet of the largest allowed length is accepted', () => {
    const data = bytes(MAX_PACKET_LENGTH - 1 - 4 - 4 - 1 - 8 - 4);
    const w = request.write(2, 'H', 0, data);
    assert.equal(w.length - 4, MAX_PACKET_LENGTH);
    const steps = [...start, c(request.open(1, '/big', OpenFlag.Write)), s(reply.handle(1, 'H')), c(w), c(request.close(3, 'H')), s(reply.status(3, 0))];
    assert.deepEqual(feed(steps), [{ type: 'file', op: 'write', path: '/big', bytes: data.length }]);
  });

  test('a zero-length packet', () => refuses([...start, c(new Uint8Array(4))], /length 0/));

  test('a string running past the end of its packet', () => {
    const bad = packet(PacketType.Open, { u32: 1 }, { u32: 1000 }, { raw: bytes(10) });
    refuses([...start, c(bad)], /OPEN packet ends inside its filename/);
  });

  test('a handle longer than 256 bytes', () => {
    refuses([...start, c(request.open(1, '/a', OpenFlag.Read)), s(reply.handle(1, 'x'.repeat(257)))], /257-byte handle/);
  });

  test('a request before INIT and a reply before VERSION', () => {
    refuses([c(request.remove(1, '/a'))], /before INIT/);
    refuses([c(request.init()), s(reply.status(1, FX_OK))], /before VERSION/);
    refuses([...start, c(request.init())], /INIT twice/);
  });

  test('events seen before the malformed packet are handed over by end', () => {
    const observer = new SftpObserver();
    feed(start, observer);
    observer.clientData(request.mkdir(1, '/ok'));
    const chunk = Buffer.concat([reply.status(1, FX_OK), new Uint8Array(4)]);
    assert.throws(() => observer.serverData(chunk), ProtocolError);
    assert.deepEqual(observer.end(), [{ type: 'file', op: 'mkdir', path: '/ok' }]);
  });
});

/** Chunks a step's bytes by `sizes`, cycled. */
function rechunk(steps: Step[], sizes: number[]): Step[] {
  const out: Step[] = [];
  let k = 0;
  for (const st of steps) {
    for (let i = 0; i < st.bytes.length; ) {
      const n = sizes[k++ % sizes.length]!;
      out.push({ from: st.from, bytes: st.bytes.subarray(i, i + n) });
      i += n;
    }
  }
  return out;
}

const pathArb = fc.string({ unit: 'binary', maxLength: 12 }).map((p) => `/${p}`);
const sizesArb = fc.array(fc.nat(2000), { maxLength: 4 });
const statusArb = fc.constantFrom(0, 2, 3, 4, 99);

/** One operation of a valid session, built with request ids from `id`. */
const opArb: fc.Arbitrary<(id: number) => Step[]> = fc.oneof(
  fc.tuple(pathArb, sizesArb).map(([p, sizes]) => (id: number) => put(p, `w${id}`, sizes, id)),
  fc.tuple(pathArb, sizesArb).map(([p, sizes]) => (id: number) => get(p, `r${id}`, sizes, id)),
  fc.tuple(pathArb, pathArb, statusArb).map(([a, b, st]) => (id: number) => [c(request.rename(id, a, b)), s(reply.status(id, st))]),
  fc.tuple(pathArb, statusArb).map(([a, st]) => (id: number) => [c(request.remove(id, a)), s(reply.status(id, st))]),
  fc.tuple(pathArb, statusArb).map(([a, st]) => (id: number) => [c(request.open(id, a, OpenFlag.Read)), s(reply.status(id, st))]),
  fc.tuple(pathArb).map(([a]) => (id: number) => [c(request.opendir(id, a)), s(reply.handle(id, `d${id}`)), c(request.close(id + 1, `d${id}`))]),
);

const sessionArb = fc.array(opArb, { maxLength: 8 }).map((ops) => [...start, ...ops.flatMap((op, i) => op(i * 100))]);

describe('SftpObserver under fuzzing', () => {
  test('arbitrary bytes never throw anything but ProtocolError', () => {
    const chunk = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 })).map(([type, raw]) => packet(type, { raw })),
    );
    const steps = fc.array(fc.record({ from: fc.constantFrom('c' as const, 's' as const), bytes: chunk }), { maxLength: 30 });
    fc.assert(
      fc.property(fc.boolean(), steps, (started, st) => {
        const observer = new SftpObserver();
        try {
          feed(started ? [...start, ...st] : st, observer);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
        observer.end();
      }),
      { numRuns: 500 },
    );
  });

  test('a valid session split arbitrarily gives the same events as unsplit', () => {
    const chunkSizes = fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(sessionArb, chunkSizes, (steps, sizes) => {
        const whole = new SftpObserver();
        const split = new SftpObserver();
        const expected = [...feed(steps, whole), ...whole.end()];
        assert.deepEqual([...feed(rechunk(steps, sizes), split), ...split.end()], expected);
      }),
      { numRuns: 200 },
    );
  });
});
