/**
 * The RDP proxy end to end: the real xfreerdp (/sec:tls) signs in to the
 * gateway as alice+shadow01 with her gateway password; the gateway logs in to
 * FreeRDP's shadow server with NLA and the target's own credentials, relays
 * the desktop and records it. The target's screen is painted at known times;
 * the recording, exported to WebM by the real CLI, shows those colours then.
 * Refusals (wrong password, unknown target, target down, a certificate that
 * does not match its pin) leave the client disconnected and nothing recorded.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { run } from '../fixtures/gateway-env.js';
import { ALICE_PASSWORD, RdpGateway } from '../fixtures/rdp-gateway.js';
import { startClient, type RdpClient } from '../fixtures/rdp/xfreerdp.js';

type Rgb = [number, number, number];
const RED: Rgb = [255, 0, 0];
const GREEN: Rgb = [0, 255, 0];
const BLUE: Rgb = [0, 0, 255];

let gw: RdpGateway;
before(async () => {
  gw = await RdpGateway.start();
});
after(() => gw.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** RGB of the pixel (x, y) of the frame shown at `seconds` of a video `width` pixels wide. */
async function videoPixel(file: string, seconds: number, x: number, y: number, width: number): Promise<Rgb> {
  const r = await run('ffmpeg', ['-v', 'error', '-ss', String(Math.max(0, seconds)), '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
  assert.equal(r.code, 0, r.stderr);
  const o = (y * width + x) * 3;
  return [r.stdoutBytes[o]!, r.stdoutBytes[o + 1]!, r.stdoutBytes[o + 2]!];
}

function near(got: Rgb, want: Rgb, what: string, tolerance = 40): void {
  assert.ok(got.every((v, i) => Math.abs(v - want[i]!) <= tolerance), `${what}: got ${got.join(',')}, want ${want.join(',')}`);
}

/** Runs a client that must be refused: it exits non-zero by itself. */
async function refused(user: string, password: string): Promise<{ code: number | null; log: string }> {
  const client = await startClient({ port: gw.port, user, password, security: 'tls' });
  const code = await Promise.race([client.exited, sleep(20_000).then(() => 'timeout' as const)]);
  const log = client.log();
  await client.stop();
  assert.notEqual(code, 'timeout', `the client was not disconnected:\n${log}`);
  return { code: code as number | null, log };
}

test('xfreerdp through the gateway shows the target\'s desktop, and the WebM export shows it at the times it was painted', async () => {
  const before = (await gw.recordings()).length;
  let client: RdpClient | undefined;
  const times: Record<string, number> = {};
  try {
    client = await startClient({ port: gw.port, user: 'alice+shadow01', password: ALICE_PASSWORD, security: 'tls' });
    await sleep(2500);
    await gw.shadow.x('xsetroot', ['-solid', '#ff0000']);
    await client.waitForColour(400, 300, RED);
    times.red = Date.now();
    await sleep(1500);
    await gw.shadow.x('xsetroot', ['-solid', '#00ff00']);
    await client.waitForColour(400, 300, GREEN);
    times.green = Date.now();
    await sleep(1500);
    await gw.shadow.x('xsetroot', ['-solid', '#0000ff']);
    await client.waitForColour(400, 300, BLUE);
    times.blue = Date.now();
    await sleep(1500);
  } catch (err) {
    throw new Error(`${(err as Error).message}\ngateway log:\n${gw.log}\nshadow log:\n${gw.shadow.log()}`);
  } finally {
    await client?.stop();
  }
  const rec = await gw.endedRecording(before);
  assert.equal(rec.protocol, 'rdp');
  assert.equal(rec.user, 'alice');
  assert.equal(rec.target, 'shadow01');
  const events = await gw.events(rec.id);
  const start = events.find((e) => e.type === 'rdp-connect');
  assert.ok(start, JSON.stringify(events));
  const video = await gw.exportVideo(rec.id);
  const probe = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height:format=duration', '-of', 'json', video]);
  const info = JSON.parse(probe.stdout) as { streams: { width: number; height: number }[]; format: { duration: string } };
  const duration = Number(info.format.duration);
  // The recording has the target's desktop size, the shadow server's whole screen.
  assert.deepEqual([info.streams[0]!.width, info.streams[0]!.height], [gw.shadow.screen.width, gw.shadow.screen.height], JSON.stringify({ info, events }));
  const W = info.streams[0]!.width;
  assert.ok(duration > 4, `duration ${duration}`);
  // Counted back from the end (the session closed a moment after blue was seen): each colour a second after it showed.
  const end = (times.blue! + 1500) / 1000;
  near(await videoPixel(video, duration - (end - times.red! / 1000) + 1.0, 400, 300, W), RED, 'red, a second after it was painted');
  near(await videoPixel(video, duration - (end - times.green! / 1000) + 1.0, 400, 300, W), GREEN, 'green');
  near(await videoPixel(video, duration - 0.5, 400, 300, W), BLUE, 'blue at the end');
  // Three full-screen paints: a timeline sees them as seconds of change without decoding a bitmap.
  const activity = events.filter((e) => e.type === 'activity') as { second: number; change: number }[];
  assert.ok(activity.reduce((sum, a) => sum + a.change, 0) >= 3, JSON.stringify(activity));
  assert.equal(new Set(activity.map((a) => a.second)).size, activity.length, 'each second once');
});

test('a wrong password: xfreerdp is disconnected and nothing is recorded', async () => {
  const before = (await gw.recordings()).length;
  const { code } = await refused('alice+shadow01', 'not-the-password');
  assert.notEqual(code, 0);
  assert.equal((await gw.recordings()).length, before);
  assert.match(gw.log, /gateway login failed/);
  assert.ok(!gw.log.includes('not-the-password'), 'the password stays out of the log');
  assert.ok(!gw.log.includes(ALICE_PASSWORD));
});

test('an unknown target, a target that is down, a certificate that does not match its pin and a target login refused: each client is disconnected, nothing recorded', async () => {
  const before = (await gw.recordings()).length;
  const cases: [string, RegExp][] = [
    ['alice+nosuch01', /session refused/],
    ['alice+down01', /cannot reach down01: connection refused/],
    ['alice+pinned01', /pinned01 presented a certificate that does not match its pinned hostKey/],
    ['alice+badpw01', /badpw01.*refused the user name or password/],
  ];
  for (const [login, logged] of cases) {
    const { code, log } = await refused(login, ALICE_PASSWORD);
    assert.notEqual(code, 0, `${login}: ${log}`);
    assert.match(gw.log, logged, login);
  }
  assert.equal((await gw.recordings()).length, before);
});

test('clicks and typing are recorded as events; sessions terminate --message disconnects the client and is recorded', async () => {
  const before = (await gw.recordings()).length;
  const client = await startClient({ port: gw.port, user: 'alice+shadow01', password: ALICE_PASSWORD, security: 'tls' });
  try {
    await sleep(2500);
    await gw.shadow.x('xsetroot', ['-solid', '#ffff00']);
    await client.waitForColour(400, 300, [255, 255, 0]);
    await client.click(200, 150);
    await client.type('echo hi');
    // xdotool types a newline as Linefeed, which has no scan code: Return is the key a person presses.
    const enter = await run('xdotool', ['key', 'Return'], { env: { DISPLAY: client.screen.display } });
    assert.equal(enter.code, 0, enter.stderr);
    await sleep(500);
    const list = await gw.home.cli(['sessions', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const sessions = JSON.parse(list.stdout) as { id: string; user: string; target: string }[];
    assert.equal(sessions.length, 1);
    const t = await gw.home.cli(['sessions', 'terminate', sessions[0]!.id, '--message', 'Maintenance at 18:00']);
    assert.equal(t.code, 0, t.stderr);
    const code = await Promise.race([client.exited, sleep(15_000).then(() => 'timeout' as const)]);
    assert.notEqual(code, 'timeout', `the client stayed connected:\n${client.log()}`);
  } finally {
    await client.stop();
  }
  const rec = await gw.endedRecording(before);
  assert.equal(rec.endReason, 'terminated');
  const events = await gw.events(rec.id);
  assert.ok(events.some((e) => e.type === 'terminate' && e.message === 'Maintenance at 18:00'), JSON.stringify(events));
  assert.ok(events.some((e) => e.type === 'click' && e.button === 'left' && e.x === 200 && e.y === 150), JSON.stringify(events));
  const typed = events.filter((e) => e.type === 'key' && 'text' in e).map((e) => e.text).join('');
  assert.equal(typed, 'echo hi', JSON.stringify(events));
  assert.ok(events.some((e) => e.type === 'key' && e.key === 'Enter'), JSON.stringify(events));
  assert.ok(events.some((e) => e.type === 'typed' && e.text === 'echo hi' && e.endedBy === 'Enter'), JSON.stringify(events));
});

test('text typed in the client reaches the target: a marker typed into a terminal there lands in its file, and is in the events', async () => {
  const before = (await gw.recordings()).length;
  const dir = await mkdtemp(join(tmpdir(), 'recgate-rdp-typed-'));
  const file = join(dir, 'typed.txt');
  // A terminal on the target's display, top left, writing what it is given to a file.
  const term = spawn('xterm', ['-geometry', '60x10+0+0', '-e', 'sh', '-c', `cat > ${file}`], { env: { ...process.env, DISPLAY: gw.shadow.screen.display }, stdio: 'ignore' });
  const client = await startClient({ port: gw.port, user: 'alice+shadow01', password: ALICE_PASSWORD, security: 'tls' });
  try {
    await sleep(3000);
    await client.click(100, 60);
    await sleep(300);
    await client.type('marker-7Qz');
    const enter = await run('xdotool', ['key', 'Return'], { env: { DISPLAY: client.screen.display } });
    assert.equal(enter.code, 0, enter.stderr);
    const deadline = Date.now() + 10_000;
    let got = '';
    while (!got.includes('marker-7Qz\n') && Date.now() < deadline) {
      await sleep(200);
      got = await readFile(file, 'utf8').catch(() => '');
    }
    assert.equal(got, 'marker-7Qz\n', `what the target's terminal wrote:\n${client.log()}`);
  } finally {
    await client.stop();
    term.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
  const rec = await gw.endedRecording(before);
  const events = await gw.events(rec.id);
  assert.ok(events.some((e) => e.type === 'typed' && e.text === 'marker-7Qz' && e.endedBy === 'Enter'), JSON.stringify(events));
});

test('xfreerdp /sec:nla signs in to the gateway with NLA (rdpNtHash); a wrong password is refused inside CredSSP, unrecorded', async () => {
  const before = (await gw.recordings()).length;
  const client = await startClient({ port: gw.port, user: 'alice+shadow01', password: ALICE_PASSWORD, security: 'nla' });
  try {
    await sleep(2500);
    await gw.shadow.x('xsetroot', ['-solid', '#ff00ff']);
    await client.waitForColour(400, 300, [255, 0, 255]);
  } catch (err) {
    throw new Error(`${(err as Error).message}\ngateway log:\n${gw.log}`);
  } finally {
    await client.stop();
  }
  const rec = await gw.endedRecording(before);
  assert.equal(rec.user, 'alice');
  assert.match(gw.log, /"method":"nla"/);

  const wrong = await startClient({ port: gw.port, user: 'alice+shadow01', password: 'not-it', security: 'nla' });
  const code = await Promise.race([wrong.exited, sleep(20_000).then(() => 'timeout' as const)]);
  await wrong.stop();
  assert.notEqual(code, 'timeout');
  assert.notEqual(code, 0);
  assert.match(wrong.log(), /LOGON_FAILURE/);
  assert.equal((await gw.recordings()).length, before + 1);
});

test('a session that reaches its maximum duration is disconnected with the reason, and its recording ends so', async () => {
  const before = (await gw.recordings()).length;
  const client = await startClient({ port: gw.port, user: 'alice+short01', password: ALICE_PASSWORD, security: 'tls' });
  try {
    const code = await Promise.race([client.exited, sleep(20_000).then(() => 'timeout' as const)]);
    assert.notEqual(code, 'timeout', `the client stayed connected:\n${client.log()}`);
    assert.match(client.log(), /ERRINFO_LOGON_TIMEOUT/, client.log());
  } finally {
    await client.stop();
  }
  const rec = await gw.endedRecording(before);
  assert.equal(rec.target, 'short01');
  assert.equal(rec.endReason, 'max-duration');
});

/** Sends `bytes` to the gateway's RDP port and resolves with all it answers before closing. */
function exchange(bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect({ host: '127.0.0.1', port: gw.port }, () => s.write(bytes));
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks)));
    setTimeout(() => s.destroy(), 10_000).unref();
  });
}

test('standard RDP security is refused with RDP_NEG_FAILURE SSL_REQUIRED_BY_SERVER; bytes that are not RDP are closed with a log line', async () => {
  // X.224 Connection Request with RDP_NEG_REQ requestedProtocols = PROTOCOL_RDP (MS-RDPBCGR 2.2.1.1).
  const answer = await exchange(Buffer.from('030000130ee000000000000100080000000000', 'hex'));
  // X.224 Connection Confirm with RDP_NEG_FAILURE (2.2.1.2.2): type 3, length 8, failureCode 1.
  assert.equal(answer.toString('hex'), '030000130ed000000000000300080001000000');
  assert.match(gw.log, /offered only standard RDP security/);
  const garbage = await exchange(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
  assert.equal(garbage.length, 0);
  await sleep(200);
  assert.match(gw.log, /malformed RDP handshake/);
});
