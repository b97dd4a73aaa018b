/**
 * The README's "First steps", run as a first-time user would paste them: in a
 * fresh clone of this repository (npm ci from the local npm cache), every
 * `sh` block of the section in order, against a real sshd as the target. Two
 * things differ from a person's machine, and only those: the values block
 * (TARGET_*) is given by the sshd fixture, and the gateway's port 2222 is
 * moved to a free one so the test cannot collide with anything. The person's
 * answers (alice's password, accepting the gateway's new host key) come from
 * stdin, SSH_ASKPASS and an ssh config.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort, ROOT, run } from '../fixtures/gateway-env.js';
import { startSshd, type Sshd } from '../fixtures/sshd.js';

const ALICE_PASSWORD = 'first-steps alice pw';
let dir: string;
let sshd: Sshd;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recgate-readme-'));
  sshd = await startSshd();
});
after(async () => {
  await sshd?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The `sh` blocks of the README section that starts with `## First steps`. */
export function firstStepsBlocks(readme: string): string[] {
  const start = readme.indexOf('## First steps');
  assert.notEqual(start, -1, 'the README has a First steps section');
  const rest = readme.slice(start + 1);
  const end = rest.search(/^## /m);
  const section = end === -1 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

test('the README first steps take a fresh clone to a recorded SSH session that verifies', { timeout: 10 * 60_000 }, async () => {
  const clone = join(dir, 'recgate');
  const cloned = await run('git', ['clone', '--quiet', ROOT, clone]);
  assert.equal(cloned.code, 0, cloned.stderr);

  const port = await freePort();
  const blocks = firstStepsBlocks(await readFile(join(clone, 'README.md'), 'utf8')).map((b) => b.replaceAll('2222', String(port)));
  const kinds = blocks.map((b) => (b.trim() === 'npm start' ? 'start' : b.startsWith('export TARGET_HOST=') ? 'values' : 'run'));
  assert.deepEqual(kinds.filter((k) => k !== 'run'), ['values', 'start'], 'one values block and one npm start block');

  // A person's home: ssh accepts the gateway's new host key, and reads alice's password from askpass.
  const home = join(dir, 'home');
  await mkdir(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  const sshConfig = join(home, '.ssh', 'config');
  await writeFile(sshConfig, `StrictHostKeyChecking accept-new\nUserKnownHostsFile ${join(home, '.ssh', 'known_hosts')}\nLogLevel ERROR\nPubkeyAuthentication no\n`);
  // OpenSSH reads the config of the account in the password database, not $HOME's: an ssh on PATH hands it this one.
  const bin = join(home, 'bin');
  await mkdir(bin);
  const realSsh = (await run('sh', ['-c', 'command -v ssh'])).stdout.trim();
  await writeFile(join(bin, 'ssh'), `#!/bin/sh\nexec ${realSsh} -F ${sshConfig} "$@"\n`);
  await chmod(join(bin, 'ssh'), 0o755);
  const askpass = join(home, 'askpass.sh');
  await writeFile(askpass, `#!/bin/sh\nprintf '%s\\n' '${ALICE_PASSWORD}'\n`);
  await chmod(askpass, 0o700);
  const npmCache = (await run('npm', ['config', 'get', 'cache'])).stdout.trim();
  const env: Record<string, string> = {
    HOME: home,
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    USER: sshd.user,
    npm_config_cache: npmCache,
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    RECGATE_PASSPHRASE: 'first steps passphrase',
    SSH_ASKPASS: askpass,
    SSH_ASKPASS_REQUIRE: 'force',
    DISPLAY: 'none',
    TARGET_HOST: '127.0.0.1',
    TARGET_PORT: String(sshd.port),
    TARGET_USER: sshd.user,
    TARGET_KEY: sshd.clientKeyPath,
  };

  let gateway: ReturnType<typeof spawn> | undefined;
  let gatewayLog = '';
  let last = '';
  try {
    for (const [i, block] of blocks.entries()) {
      if (kinds[i] === 'values') continue;
      if (kinds[i] === 'start') {
        gateway = spawn('bash', ['-ec', block], { cwd: clone, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
        gateway.stdout!.on('data', (d: Buffer) => (gatewayLog += d.toString('utf8')));
        gateway.stderr!.on('data', (d: Buffer) => (gatewayLog += d.toString('utf8')));
        for (let n = 0; n < 1200 && !gatewayLog.includes('"recgate started"') && gateway.exitCode === null; n++) await new Promise((r) => setTimeout(r, 100));
        assert.match(gatewayLog, /"recgate started"/, gatewayLog);
        continue;
      }
      // Typed answers come on stdin: alice's password for `users hash` (it reads the first line without a terminal).
      const r = await run('bash', ['-ec', block], { cwd: clone, env, input: `${ALICE_PASSWORD}\n` });
      assert.equal(r.code, 0, `block ${i + 1} failed:\n${block}\n${r.stdout}\n${r.stderr}\n${gatewayLog}`);
      last = r.stdout;
      if (block.includes('ssh -p')) assert.match(r.stdout, /^hello from \S+$/m);
    }
    // The last block listed, played and verified the recording.
    assert.match(last, /alice\s+web01\s+ssh/);
    assert.match(last, /hello from \S+/, 'play shows what the session printed');
    assert.match(last, /^recording \S+: ok/m, last);
  } finally {
    if (gateway?.pid) {
      const exited = new Promise((resolve) => gateway!.once('close', resolve));
      process.kill(-gateway.pid, 'SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    }
  }
  assert.match(gatewayLog, /"msg":"stopped"/, 'Ctrl-C stopped the gateway');
});
