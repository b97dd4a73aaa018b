/**
 * The SSH proxy end to end: a real OpenSSH sshd as the target, the real
 * OpenSSH ssh client as the person, the gateway as `recgate start`.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { run } from '../fixtures/gateway-env.js';
import { ALICE_PASSWORD, SshGateway } from '../fixtures/ssh-gateway.js';
import { Tmux } from '../fixtures/tmux.js';
import { readZip } from '../fixtures/zip.js';

let g: SshGateway;

before(async () => {
  g = await SshGateway.start();
});
after(() => g?.stop());

/** The recording a session just made, once it is complete. */
async function newRecording(countBefore: number): Promise<{ id: string }> {
  for (let i = 0; i < 100; i++) {
    const recs = await g.recordings();
    if (recs.length > countBefore && recs.at(-1)!.status === 'complete') return recs.at(-1)!;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no new complete recording');
}

function eventsOf(files: Map<string, Buffer>, id: string): Record<string, unknown>[] {
  return files.get(`${id}.events.jsonl`)!.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function exportRecording(id: string): Promise<Map<string, Buffer>> {
  const out = join(g.home.dir, `${id}.zip`);
  const r = await g.home.cli(['recordings', 'export', id, '--key', g.home.key('officer'), '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  return readZip(out);
}

test('exec through the gateway runs on the target and is recorded with its command', async () => {
  const before = (await g.recordings()).length;
  const r = await g.ssh([...g.sshArgs(), 'echo hello from $(uname -s)']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello from Linux\n');
  const recs = await g.recordings();
  assert.equal(recs.length, before + 1);
  const rec = recs.at(-1)!;
  assert.equal(rec.user, 'alice');
  assert.equal(rec.target, 'web01');
  assert.equal(rec.status, 'complete');
  const files = await exportRecording(rec.id);
  const events = eventsOf(files, rec.id);
  assert.ok(events.some((e) => e.type === 'exec' && e.command === 'echo hello from $(uname -s)'));
  assert.ok(events.some((e) => e.type === 'exit' && e.code === 0));
  assert.ok(files.get(`${rec.id}.tys`)!.toString().includes('hello from Linux\n'));
});

test('an interactive shell with a pty: output correct, and scriptreplay of the export reproduces it byte for byte', async () => {
  const r = await g.ssh(['-tt', ...g.sshArgs()], { input: 'echo RG-$((6*7))\nexit\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes('RG-42\r\n'), r.stdout);
  const rec = (await g.recordings()).at(-1)!;
  const files = await exportRecording(rec.id);
  const dir = join(g.home.dir, `replay-${rec.id}`);
  await run('mkdir', ['-p', dir]);
  await writeFile(join(dir, 'r.tm'), files.get(`${rec.id}.tm`)!);
  await writeFile(join(dir, 'r.tys'), files.get(`${rec.id}.tys`)!);
  const replay = await run('scriptreplay', ['--maxdelay', '0.0001', '-t', join(dir, 'r.tm'), join(dir, 'r.tys')]);
  assert.equal(replay.code, 0, replay.stderr);
  // scriptreplay adds one newline of its own at the end.
  assert.ok(replay.stdoutBytes.subarray(0, -1).equals(r.stdoutBytes), `replayed ${replay.stdoutBytes.length - 1} bytes, the client saw ${r.stdoutBytes.length}`);
});

test('a wrong gateway password is refused, with no target connection and no recording', async () => {
  const before = (await g.recordings()).length;
  const sshdLog = g.sshd.log().length;
  const r = await g.sshWithPassword('alice+web01', 'not-the-password', 'true');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Permission denied/);
  assert.equal((await g.recordings()).length, before);
  assert.doesNotMatch(g.sshd.log().slice(sshdLog), /Connection from|Accepted/);
  assert.match(g.log, /gateway login failed/);
  assert.ok(!g.log.includes('not-the-password'), 'the tried password is never logged');
});

test('the right gateway password logs in', async () => {
  const r = await g.sshWithPassword('alice+web01', ALICE_PASSWORD, 'echo ok');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'ok\n');
});

test('an unknown target and a target the user may not reach are refused in the same clear words', async () => {
  const unknown = await g.ssh([...g.sshArgs('alice+nowhere'), 'true']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^recgate: there is no target named nowhere that you may reach\r?$/m);
  const notAllowed = await g.ssh([...g.sshArgs('alice+other'), 'true']);
  assert.equal(notAllowed.code, 1);
  assert.match(notAllowed.stderr, /^recgate: there is no target named other that you may reach\r?$/m);
  assert.match(g.log, /"target":"nowhere","why":"unknown-target"[^\n]*session refused/, 'the log keeps the real reason');
  assert.match(g.log, /"target":"other","why":"not-allowed"[^\n]*session refused/);
});

test('a target that is down, a changed target host key and a refused target login each get a clear message', async () => {
  const before = (await g.recordings()).length;
  const down = await g.ssh([...g.sshArgs('alice+down01'), 'true']);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /^recgate: down01 is not reachable/m);
  const badKey = await g.ssh([...g.sshArgs('alice+badkey01'), 'true']);
  assert.equal(badKey.code, 1);
  assert.match(badKey.stderr, /^recgate: the host key of badkey01 has changed \(SHA256:\S+, expected SHA256:A+\); refusing to connect/m);
  const badPw = await g.ssh([...g.sshArgs('alice+badpw01'), 'true']);
  assert.equal(badPw.code, 1);
  assert.match(badPw.stderr, /^recgate: the gateway could not log in to badpw01 with its configured credentials/m);
  assert.ok(!g.log.includes('wrong-target-password'), 'target secrets never reach the log');
  assert.equal((await g.recordings()).length, before, 'nothing is recorded when the target cannot be reached');
});

test('the real sftp client puts and gets files through the gateway; a 100 MiB download arrives intact', async () => {
  const dir = join(g.home.dir, 'sftp');
  await run('mkdir', ['-p', join(dir, 'remote'), join(dir, 'local')]);
  const small = join(dir, 'local', 'notes.txt');
  await writeFile(small, 'sftp through recgate\n'.repeat(1000));
  const big = join(dir, 'remote', 'big.bin');
  const mk = await run('dd', ['if=/dev/urandom', `of=${big}`, 'bs=1M', 'count=100', 'status=none']);
  assert.equal(mk.code, 0, mk.stderr);
  const batch = join(dir, 'batch');
  await writeFile(batch, [`put ${small} ${join(dir, 'remote', 'notes.txt')}`, `get ${big} ${join(dir, 'local', 'big.bin')}`, ''].join('\n'));
  const args = g.sshArgs().filter((a) => a !== '-p' && a !== String(g.port));
  const r = await run('sftp', ['-P', String(g.port), '-b', batch, ...args]);
  assert.equal(r.code, 0, r.stderr);
  const sum = async (p: string): Promise<string> => (await run('sha256sum', [p])).stdout.split(' ')[0]!;
  assert.equal(await sum(join(dir, 'local', 'big.bin')), await sum(big));
  assert.equal(await sum(join(dir, 'remote', 'notes.txt')), await sum(small));
  const rec = (await g.recordings()).at(-1)!;
  const files = await exportRecording(rec.id);
  const events = eventsOf(files, rec.id);
  assert.ok(events.some((e) => e.type === 'subsystem' && e.name === 'sftp'));
  const put = events.find((e) => e.type === 'file' && e.op === 'write' && e.path === join(dir, 'remote', 'notes.txt'));
  assert.ok(put, `a write event for the put in ${JSON.stringify(events.filter((e) => e.type === 'file'))}`);
  assert.equal(put.bytes, 21_000);
  const get = events.find((e) => e.type === 'file' && e.op === 'read' && e.path === big);
  assert.ok(get, 'a read event for the get');
  assert.equal(get.bytes, 100 * 1024 * 1024);
  // File contents are not recorded as terminal output.
  assert.ok(!files.has(`${rec.id}.tys`) || files.get(`${rec.id}.tys`)!.length < 4096);

  // What an auditor runs on it: play has no terminal to show and points to the events.
  const key = g.home.key('officer');
  const play = await g.home.cli(['recordings', 'play', rec.id, '--key', key]);
  assert.equal(play.code, 1);
  assert.equal(play.stdout, '');
  assert.match(play.stderr, new RegExp(`^recgate: recording ${rec.id} has no terminal to play .*; see recgate recordings events ${rec.id} --key `, 'm'));
  const listed = await g.home.cli(['recordings', 'events', rec.id, '--key', key]);
  assert.equal(listed.code, 0, listed.stderr);
  const lines = listed.stdout.trimEnd().split('\n');
  assert.ok(lines.some((l) => /^\+\d:\d\d:\d\d\.\d{3}  subsystem  channel=0 name=sftp$/.test(l)), listed.stdout);
  assert.ok(lines.some((l) => l.includes('  file  ') && l.includes(`path=${big}`) && l.includes('op=read')), listed.stdout);
  const ids = await g.home.cli(['recordings', 'list', '--quiet']);
  assert.equal(ids.code, 0, ids.stderr);
  assert.deepEqual(ids.stdout.trimEnd().split('\n').sort(), (await g.recordings()).map((r) => r.id).sort());
});

test('a window resize in the real client reaches the target and shows in the asciicast export', async () => {
  const before = (await g.recordings()).length;
  const term = await Tmux.start(['ssh', ...g.sshArgs()], 80, 24);
  try {
    await term.waitFor(/:~[#$]/);
    await term.type('stty size');
    await term.waitFor(/^24 80$/m);
    await term.resize(120, 40);
    await new Promise((r) => setTimeout(r, 300));
    await term.type('stty size');
    await term.waitFor(/^40 120$/m);
    await term.type('exit');
  } finally {
    await term.stop();
  }
  const rec = await newRecording(before);
  const files = await exportRecording(rec.id);
  const cast = files.get(`${rec.id}.cast`)!.toString().trim().split('\n');
  const header = JSON.parse(cast[0]!) as { width: number; height: number };
  assert.deepEqual([header.width, header.height], [80, 24]);
  const resizes = cast.slice(1).map((l) => JSON.parse(l) as [number, string, string]).filter((e) => e[1] === 'r');
  assert.deepEqual(resizes.map((e) => e[2]), ['120x40']);
});

test('typed commands become events, and a password typed at a sudo-style prompt is recorded masked', async () => {
  const before = (await g.recordings()).length;
  const term = await Tmux.start(['ssh', ...g.sshArgs()], 100, 30);
  try {
    await term.waitFor(/:~[#$]/);
    await term.type('echo typed-$((20+3))');
    await term.waitFor(/^typed-23$/m);
    await term.type('read -s -p "[sudo] password for alice: " pw; echo; echo got-${#pw}-chars');
    await term.waitFor(/\[sudo\] password for alice:/);
    await term.type('hunter2-s3cret');
    await term.waitFor(/^got-14-chars$/m);
    await term.type('exit');
    // Until ssh has gone: the shell's exit status must reach the gateway before the terminal is killed.
    for (let i = 0; i < 100 && (await term.command()) === 'ssh'; i++) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await term.stop();
  }
  const rec = await newRecording(before);
  const files = await exportRecording(rec.id);
  const events = eventsOf(files, rec.id);
  const commands = events.filter((e) => e.type === 'command').map((e) => e.command);
  assert.ok(commands.includes('echo typed-$((20+3))'), JSON.stringify(commands));
  assert.ok(commands.includes('exit'), JSON.stringify(commands));
  // The shell exits because `exit` was typed: the command comes before the exit.
  const order = events.filter((e) => e.type === 'exit' || (e.type === 'command' && e.command === 'exit')).map((e) => e.type);
  assert.deepEqual(order, ['command', 'exit']);
  const input = files.get(`${rec.id}.in.tys`)!.toString('utf8');
  assert.ok(input.includes('echo typed-$((20+3))'), 'echoed input is recorded in clear');
  assert.ok(!input.includes('hunter2'), 'the password is not in the input stream');
  assert.ok(input.includes('*'.repeat(14)), 'the password is recorded masked, one * per byte');
  for (const [name, content] of files) assert.ok(!content.toString('latin1').includes('hunter2-s3cret'), `${name} holds the password`);
  assert.ok(!commands.some((c) => String(c).includes('hunter2')));
});

test('ssh -A: agent forwarding is refused, the session works, and the refusal is logged and recorded', async () => {
  // OpenSSH asks for agent forwarding only when it has an agent to forward, and without asking for an answer.
  const socket = join(g.home.dir, `agent-${Math.random().toString(36).slice(2)}.sock`);
  const agent = await run('ssh-agent', ['-a', socket, '-s']);
  assert.equal(agent.code, 0, agent.stderr);
  const pid = /SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1];
  try {
    const before = (await g.recordings()).length;
    const r = await g.ssh([...g.sshArgs('alice+web01', ['-A', '-o', 'ForwardX11=yes']), 'echo agent=${SSH_AUTH_SOCK:-none}'], { env: { SSH_AUTH_SOCK: socket, DISPLAY: ':0' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'agent=none\n', 'no agent reaches the target');
    const rec = await newRecording(before);
    const events = eventsOf(await exportRecording(rec.id), rec.id);
    assert.ok(events.some((e) => e.type === 'request-refused' && e.request === 'agent-forwarding'), JSON.stringify(events));
    assert.match(g.log, /"request":"agent-forwarding"[^\n]*channel request refused/);
    assert.doesNotMatch(g.log, /TypeError/);
  } finally {
    if (pid) process.kill(Number(pid));
  }
});
