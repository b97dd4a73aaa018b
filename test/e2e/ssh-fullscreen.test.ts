/**
 * Full-screen programs through the gateway, typed in a real terminal (tmux
 * running the real ssh client): on the alternate screen the keystrokes are
 * the record, kept as typed, and lines entered there (vim's :wq, a shell
 * inside tmux) are commands marked as such.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SshGateway } from '../fixtures/ssh-gateway.js';
import { Tmux } from '../fixtures/tmux.js';
import { readZip } from '../fixtures/zip.js';

let g: SshGateway;

before(async () => {
  g = await SshGateway.start();
});
after(() => g?.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The shell's prompt as the last line on screen, right after `line` (the program it ran has ended). */
function promptAfter(line: string): RegExp {
  return new RegExp(`${line.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\n[^\n]*[#$]\\s*$`);
}

async function keys(term: Tmux, text: string): Promise<void> {
  await term.type(text, false);
  await sleep(150);
}

test('vim, less and a shell inside tmux: keystrokes recorded as typed, lines entered there are commands', async () => {
  const file = `/tmp/recgate-fullscreen-${process.pid}-${Date.now()}.txt`;
  const inner = `recgate-inner-${process.pid}`;
  const term = await Tmux.start(['ssh', ...g.sshArgs()], 100, 30);
  try {
    await term.waitFor(/[#$]\s*$/m);
    const write = `printf 'one\\ntwo\\nthree\\n' > ${file}`;
    await term.type(write);
    await term.waitFor(promptAfter(write));
    await term.type(`vim -u NONE -N ${file}`);
    await term.waitFor(/^three/m);
    await keys(term, 'dd');
    await keys(term, 'G');
    await term.type(':wq');
    await term.waitFor(promptAfter(`vim -u NONE -N ${file}`));
    await term.type(`cat ${file}`);
    await term.waitFor(/^two\nthree\n/m);
    // The prompt back before the next command is typed: typed ahead, it is echoed before the
    // prompt and the command line wraps where the test does not expect it.
    await term.waitFor(promptAfter('three'));
    await term.type(`less ${file}`);
    await term.waitFor(/\(END\)/);
    await term.type('/thr');
    await keys(term, 'q');
    await term.waitFor(promptAfter(`less ${file}`));
    await term.type(`tmux -L ${inner} -f /dev/null new-session -s in`);
    await term.waitFor(/\[in\]/);
    await term.type('echo inside-$((40+2))');
    await term.waitFor(/^inside-42$/m);
    await term.type('exit');
    await term.waitFor(/\[exited\]/);
    await term.type(`rm -f ${file}; exit`);
    await sleep(500);
  } finally {
    await term.stop();
  }
  const rec = await (async () => {
    for (let i = 0; i < 100; i++) {
      const last = (await g.recordings()).at(-1);
      if (last?.status === 'complete') return last;
      await sleep(100);
    }
    throw new Error('no complete recording');
  })();
  const out = join(g.home.dir, `${rec.id}.zip`);
  const r = await g.home.cli(['recordings', 'export', rec.id, '--key', g.home.key('officer'), '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const files = await readZip(out);
  const typed = files.get(`${rec.id}.in.tys`)!.toString('utf8');
  assert.match(typed, /ddG:wq\r/, "vim's normal-mode keys and its command line, as typed");
  assert.match(typed, /\/thr\rq/, "less's search and quit, as typed");
  assert.match(typed, /echo inside-\$\(\(40\+2\)\)\r/, 'the shell inside tmux');
  const events = files.get(`${rec.id}.events.jsonl`)!.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const commands = events.filter((e) => e.type === 'command').map((e): [string, string] => [String(e.command), String(e.screen ?? 'normal')]);
  // vim's :wq is its command line on screen when its echo came before the Enter, else the keys typed since the last command.
  const wq = commands.findIndex(([c, screen]) => screen === 'alternate' && c.endsWith(':wq'));
  assert.ok(wq > 0, JSON.stringify(commands));
  assert.deepEqual(commands[wq - 1], [`vim -u NONE -N ${file}`, 'normal']);
  assert.deepEqual(
    commands.filter(([c]) => c === '/thr' || c === 'echo inside-$((40+2))'),
    [['/thr', 'alternate'], ['echo inside-$((40+2))', 'alternate']],
  );
});
