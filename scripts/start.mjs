// npm start: build dist/ if the sources changed, then run `recgate start` as a
// child that every stop signal reaches. npm, the shell it runs scripts with,
// and this wrapper all stand between a person's Ctrl-C or a service manager's
// SIGTERM and the gateway, so the gateway runs in its own process group and
// this wrapper forwards SIGINT, SIGTERM and SIGHUP to it, then exits with its
// status. A second signal during shutdown forces the gateway to exit at once
// (its open recordings are marked interrupted on the next start).
//
// One Ctrl-C can arrive here twice (from the terminal and again from npm,
// which forwards it), so repeats within DUPLICATE_MS count as one.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { build, ROOT } from './build.mjs';

const DUPLICATE_MS = 300;

if (!build()) process.exit(1);

const { DAEMON_NODE_FLAGS } = await import('../dist/src/daemon/node-flags.js');
const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, join(ROOT, 'bin', 'recgate.js'), 'start', ...process.argv.slice(2)], {
  stdio: 'inherit',
  detached: true, // its own process group: signals reach it once, through here
});

let lastSignalAt = 0;
let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    const now = Date.now();
    if (signals > 0 && now - lastSignalAt < DUPLICATE_MS) return;
    lastSignalAt = now;
    signals++;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal === 'SIGHUP' ? 'SIGTERM' : signal);
  });
}

child.on('error', (err) => {
  process.stderr.write(`recgate: cannot start the gateway: ${err.message}\n`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  process.exit(code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 2) : 1));
});
