/**
 * The gateway's log through real processes: recordings written at once by
 * separate processes chain into one log; a gateway killed mid-session leaves
 * a recording that verifies, and recovery enters its interruption; a noted
 * head catches a log cut at its tail; a log that cannot be written fails the
 * recording; the daemon says which key signs and warns where it is unsafe.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { GatewayHome } from '../fixtures/gateway-env.js';
import type { Step } from '../fixtures/record-session.js';
import { TamperedHome } from '../fixtures/tamper.js';

const lines = (n: number, label: string): Step[] => [
  { op: 'terminal', cols: 80, rows: 24 },
  ...Array.from({ length: n }, (_, i): Step[] => [{ op: 'output', text: `${label} ${i}\r\n` }, { op: 'sleep', ms: 40 }]).flat(),
];

async function withHome(extra: string, fn: (home: GatewayHome) => Promise<void>): Promise<void> {
  const home = await GatewayHome.create(extra);
  try {
    await fn(home);
  } finally {
    await home.remove();
  }
}

test('recordings written at once by separate processes leave one valid chain', () =>
  withHome('recording: { flushInterval: 100ms, checkpointInterval: 300ms }', async (home) => {
    const ids = await Promise.all(['a', 'b', 'c'].map((label) => home.record({ steps: lines(20, label) })));
    const v = await home.cli(['recordings', 'verify', '--all']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    for (const id of ids) assert.match(v.stdout, new RegExp(`^recording ${id}: ok$`, 'm'));
    assert.match(v.stdout, /^log: 6 entries, head 5:/m);
  }));

test('a gateway killed mid-session: the recording verifies, recovery logs its interruption, and cutting it later is caught', () =>
  withHome('recording: { flushInterval: 100ms, checkpointInterval: 300ms }', async (home) => {
    const s = home.startSession({ steps: lines(200, 'line') });
    const id = await s.id;
    while (s.lines.length < 60) await new Promise((r) => setTimeout(r, 20));
    s.child.kill('SIGKILL');
    await s.done;
    const before = await home.cli(['recordings', 'verify', id]);
    assert.equal(before.code, 0, before.stdout);

    const daemon = await home.startDaemon();
    const { code, log } = await daemon.stop();
    assert.equal(code, 0, log);
    const after = await home.cli(['recordings', 'verify', '--all']);
    assert.equal(after.code, 0, after.stdout);
    assert.match(after.stdout, new RegExp(`^recording ${id}: ok`, 'm'));
    assert.match(after.stdout, /^log: 2 entries, head 1:/m);
    const e = await home.cli(['recordings', 'export', id, '--key', home.key('officer'), '--out', join(home.dir, 'x.zip')]);
    assert.equal(e.code, 0, e.stderr);
    for (const line of e.stderr.trimEnd().split('\n').filter(Boolean)) assert.match(line, /^recgate: warning: /);

    // The interruption entry counted every chunk: dropping the unsigned last one is now caught too.
    const t = await TamperedHome.copy(home.dir);
    try {
      const tty = (await t.manifest(id)).streams.find((st) => st.name === 'tty')!;
      const path = join(t.dir, 'data', 'recordings', id, `${tty.id}.chunks`);
      const bytes = await readFile(path);
      let at = 0;
      let last = 0;
      while (at < bytes.length) {
        last = at;
        at += 4 + bytes.readUInt32BE(at);
      }
      await writeFile(path, bytes.subarray(0, last));
      const v = await home.cli(['recordings', 'verify', id, '--config', t.config]);
      assert.equal(v.code, 1, v.stdout);
      assert.match(v.stdout, new RegExp(`^error: recording ${id}: stream tty`, 'm'));
    } finally {
      await t.remove();
    }
  }));

test('a head noted earlier catches a log cut at its tail, which the chain alone cannot show', () =>
  withHome('', async (home) => {
    await home.record({ steps: lines(3, 'kept') });
    const dropped = await home.record({ steps: lines(3, 'dropped') });
    const noted = /^log: 4 entries, head (\S+)$/m.exec((await home.cli(['recordings', 'verify', '--all'])).stdout)?.[1];
    assert.ok(noted);
    const t = await TamperedHome.copy(home.dir);
    try {
      await t.deleteRecording(dropped);
      await t.sql('DELETE FROM log WHERE seq >= 2');
      const blind = await home.cli(['recordings', 'verify', '--all', '--config', t.config]);
      assert.equal(blind.code, 0, 'the documented limit: without a noted head, a cut tail leaves a whole, shorter chain');
      const v = await home.cli(['recordings', 'verify', '--all', '--head', noted, '--config', t.config]);
      assert.equal(v.code, 1, v.stdout);
      assert.match(v.stdout, new RegExp(`^error: log: no entry seq 3, the expected head ${noted.replace(/[+/]/g, '\\$&')} \\(the log was cut short\\)$`, 'm'));
      assert.match(v.stderr, /^recgate: the log failed verification$/m);
      const ok = await home.cli(['recordings', 'verify', '--all', '--head', noted]);
      assert.equal(ok.code, 0, ok.stdout);
      const bad = await home.cli(['recordings', 'verify', '--all', '--head', 'latest']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /^recgate: --head "latest" is not SEQ:HASH/);
    } finally {
      await t.remove();
    }
  }));

test('a log that cannot be written fails the recording instead of going on without it', () =>
  withHome('', async (home) => {
    await home.record({ steps: lines(1, 'first') });
    const t = await TamperedHome.copy(home.dir);
    try {
      await t.sql("CREATE TRIGGER no_end BEFORE INSERT ON log WHEN NEW.kind = 'end' BEGIN SELECT RAISE(ABORT, 'log refused'); END");
      const s = home.startSession({ steps: lines(2, 'second') }, t.config);
      const id = await s.id;
      assert.equal(await s.done, 0);
      assert.ok(s.lines.includes('ended false'), s.lines.join('\n'));
      await t.sql('DROP TRIGGER no_end');
      await t.sql("CREATE TRIGGER no_start BEFORE INSERT ON log WHEN NEW.kind = 'start' BEGIN SELECT RAISE(ABORT, 'log refused'); END");
      const refused = home.startSession({ steps: lines(2, 'third') }, t.config);
      refused.id.catch(() => undefined);
      assert.notEqual(await refused.done, 0, 'the recording cannot start without its log entry');
      const v = await home.cli(['recordings', 'verify', id, '--config', t.config]);
      assert.match(v.stdout, /warning: .*the log does not record its end/);
    } finally {
      await t.remove();
    }
  }));

test('the daemon names its signing key, and warns when it lies in the data directory or is not among the pinned signers', () =>
  withHome('', async (home) => {
    const config = join(home.dir, 'unsafe.yaml');
    await writeFile(config, [
      'gateway: { dataDir: ./data, signingKey: ./data/signing.key }',
      'listen: { ssh: null, postgres: null, mysql: null, console: null }',
      'recipients:',
      '  - { name: officer, publicKeyFile: ./keys/officer.key.pub }',
      'signers:',
      '  - { name: other, publicKeyFile: ./signing.key.pub }',
      '',
    ].join('\n'));
    const { code, log } = await home.startAndStopDaemon('SIGTERM', config);
    assert.equal(code, 0, log);
    const pub = (await readFile(join(home.dir, 'data', 'signing.key.pub'), 'utf8')).trim();
    const entries = log.trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string; signer?: string });
    const info = entries.find((e) => e.level === 30 && e.signer === pub);
    assert.ok(info, `an info line with ${pub}`);
    assert.ok(entries.some((e) => e.level === 40 && /signing key lies inside the data directory/.test(e.msg)));
    assert.ok(entries.some((e) => e.level === 40 && /signers does not include this gateway's own key/.test(e.msg)));
    // Back on the key beside the config, the one left in the data directory is pointed out until it is moved.
    const moved = await home.startAndStopDaemon();
    assert.match(moved.log, /"level":40,.*an older signing key remains in the data directory/);
    await rm(join(home.dir, 'data', 'signing.key'));
    const safe = await home.startAndStopDaemon();
    assert.doesNotMatch(safe.log, /"level":40/);
  }));

test('with no signers pinned, the .pub beside a key outside the data directory is trusted, and stderr says how to pin it', () =>
  withHome('', async (home) => {
    const id = await home.record({ steps: lines(1, 'x') });
    const config = join(home.dir, 'unpinned.yaml');
    await writeFile(config, ['gateway: { dataDir: ./data }', 'recipients:', '  - { name: officer, publicKeyFile: ./keys/officer.key.pub }', ''].join('\n'));
    const v = await home.cli(['recordings', 'verify', id, '--config', config]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(v.stderr, `recgate: no signers configured: trusting ${home.signingKey}.pub; pin it with signers: [{ name: gateway, publicKeyFile: ${home.signingKey}.pub }]\n`);
  }));
