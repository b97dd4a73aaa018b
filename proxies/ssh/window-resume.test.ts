/**
 * ssh2's writes that wait for window, with and without repairWindowResume, between
 * a real ssh2 server and client on loopback: stdout waits for window first, then a
 * stderr write larger than the window follows; or both wait at once.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import ssh2 from 'ssh2';
import { repairWindowResume } from './window-resume.js';
import { generateSshHostKey } from '../../src/daemon/ssh-host-key.js';

const MiB = 1024 * 1024;
const pattern = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));

type Order = 'stderr after stdout' | 'both at once';

async function exchange(repair: boolean, order: Order = 'stderr after stdout', errBytes = 3 * MiB, outBytes = 3 * MiB): Promise<{ stdout: Buffer; stderr: Buffer; stderrDone: boolean }> {
  const hostKey = generateSshHostKey().privateKey;
  const out = pattern(outBytes, 1);
  const err = pattern(errBytes, 2);
  let stderrDone = false;
  const server = new ssh2.Server({ hostKeys: [hostKey] }, (conn) => {
    conn.on('authentication', (ctx) => ctx.accept());
    conn.on('session', (accept) => {
      accept().on('exec', (acceptExec) => {
        const channel = acceptExec();
        if (repair) repairWindowResume(channel);
        const writeStderr = (): void => {
          const timer = setTimeout(() => channel.close(), 5000);
          channel.stderr.write(err, () => {
            stderrDone = true;
            clearTimeout(timer);
            channel.exit(0);
            channel.end();
          });
        };
        // stdout has waited for window and is done; now stderr waits for it too.
        if (order === 'stderr after stdout') channel.write(out, writeStderr);
        else {
          // stderr is written while stdout still waits: the window is full for both.
          channel.write(out);
          setTimeout(writeStderr, 100);
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new ssh2.Client();
  try {
    return await new Promise((resolve, reject) => {
      client.on('error', reject);
      client.on('ready', () => {
        client.exec('x', (e, stream) => {
          if (e) return reject(e);
          const stdout: Buffer[] = [];
          const stderr: Buffer[] = [];
          // Not read at first, so the server's stdout write waits for window.
          stream.pause();
          setTimeout(() => stream.resume(), 300);
          stream.on('data', (d: Buffer) => stdout.push(d));
          stream.stderr.on('data', (d: Buffer) => stderr.push(d));
          stream.on('close', () => resolve({ stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), stderrDone }));
        });
      });
      client.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, username: 'u', password: 'p' });
    });
  } finally {
    client.end();
    server.close();
  }
}

test('repaired: after stdout waited for window, a stderr write that waits too is sent whole, and stdout is not sent twice', async () => {
  const r = await exchange(true);
  assert.equal(r.stderrDone, true, 'the stderr write completed');
  assert.ok(r.stdout.equals(pattern(3 * MiB, 1)), `stdout: ${r.stdout.length} bytes, want exactly the ${3 * MiB} written`);
  assert.ok(r.stderr.equals(pattern(3 * MiB, 2)), `stderr: ${r.stderr.length} bytes, want exactly the ${3 * MiB} written`);
});

test('repaired: a short stderr write made while stdout waits for window is sent once stdout is through', async () => {
  // 8 MiB: more than the client takes in before it is read, so stdout still waits at 100 ms.
  const r = await exchange(true, 'both at once', 100, 8 * MiB);
  assert.equal(r.stderrDone, true, 'the stderr write completed');
  assert.ok(r.stdout.equals(pattern(8 * MiB, 1)), `stdout: ${r.stdout.length} bytes, want exactly the ${8 * MiB} written`);
  assert.ok(r.stderr.equals(pattern(100, 2)), `stderr: ${r.stderr.length} bytes, want exactly the 100 written`);
});

test('repaired: a large stderr write made while stdout waits for window is sent whole too', async () => {
  const r = await exchange(true, 'both at once', 3 * MiB, 8 * MiB);
  assert.equal(r.stderrDone, true, 'the stderr write completed');
  assert.ok(r.stdout.equals(pattern(8 * MiB, 1)));
  assert.ok(r.stderr.equals(pattern(3 * MiB, 2)), `stderr: ${r.stderr.length} bytes, want exactly the ${3 * MiB} written`);
});

test('unrepaired ssh2 still has the defect (when this fails, ssh2 fixed it and the repair can go)', async () => {
  const r = await exchange(false);
  assert.equal(r.stderrDone && r.stdout.length === 3 * MiB && r.stderr.length === 3 * MiB, false);
});
