/**
 * SSH flow control through the gateway: a slow reader pauses the target, and
 * a peer that ignores the channel window or advertises a zero maximum packet
 * size gets its channel closed instead of making the gateway buffer or spin.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import ssh2 from 'ssh2';
import { ed25519KeyPair, startRogueSshd } from '../fixtures/rogue-sshd.js';
import { SshGateway } from '../fixtures/ssh-gateway.js';

let g: SshGateway;
before(async () => {
  g = await SshGateway.start();
});
after(() => g?.stop());

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `promise`, or a failure naming `what` after `ms`: a broken gateway must fail these tests, not hang them. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  return Promise.race([promise, sleep(ms).then(() => Promise.reject(new Error(`timed out after ${ms} ms: ${what}`)))]);
}

/** Waits until `check` holds, or fails naming `what` after `ms` (and stops looking). */
async function until(ms: number, what: string, check: () => boolean): Promise<void> {
  for (const deadline = Date.now() + ms; !check(); await sleep(50)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
  }
}

test('a client that stops reading during a large output pauses the target; gateway memory stays bounded', async () => {
  const pid = g.daemonProcess!.pid!;
  const client = spawn('ssh', [...g.sshArgs(), 'head -c 2000000000 /dev/zero'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let received = 0;
  client.stdout.on('data', (d: Buffer) => {
    received += d.length;
    if (received > 8 << 20) client.stdout.pause();
  });
  await until(30_000, 'the first 8 MiB', () => received > 8 << 20);
  await sleep(1500);
  const rssPaused = rssKiB(pid);
  const receivedPaused = received;
  await sleep(3000);
  // Nothing more arrives, and the gateway did not keep reading the target into memory.
  assert.equal(received, receivedPaused);
  const growth = rssKiB(pid) - rssPaused;
  assert.ok(growth < 32 * 1024, `gateway RSS grew ${growth} KiB while the client was not reading`);
  client.kill('SIGKILL');
  await within(10_000, 'the client to exit', new Promise((r) => (client.exitCode !== null || client.signalCode !== null ? r(null) : client.on('exit', r))));
  client.stdout.destroy();
  client.stderr.destroy();
});

interface Raw {
  _protocol: { session: (...a: number[]) => void; channelData: (id: number, data: Buffer) => void };
}

function connect(): Promise<ssh2.Client> {
  return within(10_000, 'the gateway login', new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    c.on('ready', () => resolve(c));
    c.on('error', reject);
    c.connect({ host: '127.0.0.1', port: g.port, username: 'alice+web01', privateKey: readFileSync(g.aliceKey) });
  }));
}

test('a client advertising a zero maximum packet size gets its channel closed, and the gateway does not spin', async () => {
  const c = await connect();
  const proto = (c as unknown as Raw)._protocol;
  const session = proto.session.bind(proto);
  proto.session = (chan: number, window: number) => session(chan, window, 0);
  const closed = within(10_000, 'the channel to close', new Promise<void>((resolve) => {
    c.exec('yes | head -c 1000000', (err, stream) => {
      if (err) return resolve();
      stream.on('close', () => resolve());
      stream.resume();
    });
  }));
  await closed;
  c.end();
  for (let i = 0; i < 40 && !/maximum packet size 0/.test(g.log); i++) await sleep(50);
  assert.match(g.log, /maximum packet size 0 is below 256/);
  // The gateway still serves others.
  const r = await g.ssh([...g.sshArgs(), 'echo still-here']);
  assert.equal(r.stdout, 'still-here\n');
});

test('a client that sends beyond its channel window gets the channel closed', async () => {
  const c = await connect();
  const closed = await new Promise<boolean>((resolve) => {
    setTimeout(() => resolve(false), 4000).unref();
    c.exec('sleep 30', (err, stream) => {
      if (err) return resolve(false);
      stream.on('close', () => resolve(true));
      stream.resume();
      const proto = (c as unknown as Raw)._protocol;
      const remote = (stream as unknown as { outgoing: { id: number } }).outgoing.id;
      // 21 MB at once in packets within the maximum packet size, to a command that reads
      // nothing: far past the window the gateway grants while the target cannot take more.
      for (let i = 0; i < 700; i++) proto.channelData(remote, Buffer.alloc(30_000));
    });
  });
  c.end();
  assert.equal(closed, true, 'the gateway closes the channel at once');
  for (let i = 0; i < 40 && !/beyond the channel window/.test(g.log); i++) await sleep(50);
  assert.match(g.log, /peer sent \d+ bytes beyond the channel window/);
});

/** An agent that offers alice's public key but signs with another key, or not at all. */
class ForgingAgent extends ssh2.BaseAgent {
  constructor(
    private readonly offered: ssh2.ParsedKey,
    private readonly signer: ssh2.ParsedKey | null,
  ) {
    super();
  }

  override getIdentities(cb: (err: Error | undefined, keys?: ssh2.ParsedKey[]) => void): void {
    cb(undefined, [this.offered]);
  }

  override sign(_key: ssh2.ParsedKey, data: Buffer, _options: unknown, cb?: (err: Error | undefined, signature?: Buffer) => void): void {
    const done = (cb ?? _options) as (err: Error | undefined, signature?: Buffer) => void;
    done(undefined, this.signer ? this.signer.sign(data) : Buffer.alloc(64));
  }
}

test('a public-key login whose signature is wrong or made by another key is refused', async () => {
  const alice = ssh2.utils.parseKey(readFileSync(g.aliceKey)) as ssh2.ParsedKey;
  const foreignKey = ed25519KeyPair().parsed;
  const publicOnly = ssh2.utils.parseKey(alice.getPublicSSH()) as ssh2.ParsedKey;
  for (const signer of [foreignKey, null]) {
    const outcome = await within(15_000, 'the login attempt', new Promise<string>((resolve) => {
      const c = new ssh2.Client();
      c.on('ready', () => {
        c.end();
        resolve('logged in');
      });
      c.on('error', (err) => resolve(err.message));
      c.connect({ host: '127.0.0.1', port: g.port, username: 'alice+web01', agent: new ForgingAgent(publicOnly, signer) });
    }));
    assert.match(outcome, /All configured authentication methods failed/);
  }
  for (let i = 0; i < 40 && (g.log.match(/gateway login failed/g) ?? []).length < 2; i++) await sleep(50);
  assert.ok((g.log.match(/"method":"publickey"[^\n]*gateway login failed/g) ?? []).length >= 2);
});

test('on the target leg too: a zero maximum packet size or data past the window closes the channel, with a message', async () => {
  const zero = await startRogueSshd('zero-packet-size');
  const flood = await startRogueSshd('ignore-window');
  const login = 'login: { user: anyone, password: "whatever" }';
  const rogue = await SshGateway.start({
    extraTargets: [
      { name: 'zero01', lines: [`port: ${zero.port}`, `hostKey: "${zero.fingerprint}"`, login] },
      { name: 'flood01', lines: [`port: ${flood.port}`, `hostKey: "${flood.fingerprint}"`, login] },
    ],
  });
  let client: ReturnType<typeof spawn> | undefined;
  try {
    const a = await within(20_000, 'the zero packet size session', rogue.ssh([...rogue.sshArgs('alice+zero01'), 'true']));
    assert.notEqual(a.code, 0);
    assert.match(a.stderr, /recgate: the target's maximum packet size 0 is below 256/);
    // The person's client stops reading, so the gateway stops granting window to the target.
    client = spawn('ssh', [...rogue.sshArgs('alice+flood01'), 'flood'], { stdio: ['ignore', 'pipe', 'pipe'] });
    client.stdout!.pause();
    let stderr = '';
    client.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise((r) => client!.on('close', r));
    await until(20_000, 'the gateway to close the flooding channel', () => /flow control violated; closing the channel/.test(rogue.log));
    assert.ok(rssKiB(rogue.daemonProcess!.pid!) < 256 * 1024, 'the gateway did not buffer the flood');
    // Whether the client's window had room for the message or not, it reaches the person once they read on.
    client.stdout!.resume();
    await within(20_000, 'the client to exit', exited);
    assert.match(stderr, /recgate: the target broke SSH flow control \(peer sent \d+ bytes beyond the channel window\)/);
  } finally {
    client?.kill('SIGKILL');
    await rogue.stop();
    await zero.close();
    await flood.close();
  }
});
