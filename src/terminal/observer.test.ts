import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CommandEvent, KeystrokeRecord } from './echo-lines.js';
import { MAX_PENDING_BYTES } from './echo-lines.js';
import { TerminalObserver } from './observer.js';

const encoder = new TextEncoder();
const bytes = (s: string | Uint8Array): Uint8Array => (typeof s === 'string' ? encoder.encode(s) : s);

/** Both ends of a pty channel, one call per chunk, times counting up. */
class Tty {
  readonly observer: TerminalObserver;
  readonly records: KeystrokeRecord[] = [];
  readonly commands: CommandEvent[] = [];
  t = 0;

  constructor(cols = 80, rows = 24) {
    this.observer = new TerminalObserver(cols, rows);
  }

  out(s: string | Uint8Array): this {
    this.records.push(...this.observer.output(this.t++, bytes(s)));
    return this;
  }

  type(s: string | Uint8Array): this {
    const { records, commands } = this.observer.input(this.t++, bytes(s));
    this.records.push(...records);
    this.commands.push(...commands);
    return this;
  }

  /** Types `s` a character at a time, each echoed by the target. */
  echoed(s: string): this {
    for (const ch of s) this.type(ch).out(ch);
    return this;
  }

  /** Types `s` a character at a time, none echoed. */
  silent(s: string): this {
    for (const ch of s) this.type(ch);
    return this;
  }

  /** The next chunk happens at `t` ms. */
  at(t: number): this {
    this.t = t;
    return this;
  }

  end(): this {
    this.records.push(...this.observer.flush(this.t++));
    this.commands.push(...this.observer.takeCommands());
    return this;
  }

  get text(): string {
    return Buffer.concat(this.records.map((r) => r.data)).toString('utf8');
  }

  get commandTexts(): string[] {
    return this.commands.map((c) => c.command);
  }
}

const PROMPT = 'alice@web1:~$ ';

describe('TerminalObserver keystrokes', () => {
  test('a bash-like exchange records the input in clear and one command', () => {
    const tty = new Tty().out(`\x1b]0;alice@web1: ~\x07${PROMPT}`).echoed('ls -la');
    const enterAt = tty.t;
    tty.type('\r').out('\r\ntotal 8\r\ndrwxr-x--- 2 alice alice 4096 .\r\n').out(PROMPT).end();
    assert.equal(tty.text, 'ls -la\r');
    assert.deepEqual(tty.commands, [{ t: enterAt, command: 'ls -la' }]);
  });

  test('a sudo password is recorded masked, with no command, and never in clear', () => {
    const tty = new Tty().out(PROMPT).echoed('sudo id').type('\r').out('\r\n[sudo] password for alice: ');
    tty.silent('hunter2').type('\r').out('\r\nuid=0(root) gid=0(root)\r\n').out(PROMPT).end();
    assert.equal(tty.text, 'sudo id\r*******\r');
    assert.deepEqual(tty.commandTexts, ['sudo id']);
    for (const r of tty.records) assert.ok(!Buffer.from(r.data).toString('latin1').includes('hunter2'));
    assert.ok(!tty.text.includes('hunter2'));
  });

  test('input typed after stty -echo, with no prompt, is masked', () => {
    const tty = new Tty().out(PROMPT).echoed('stty -echo').type('\r').out('\r\n').out(PROMPT);
    tty.silent('cat /etc/hostname').type('\r').out('web1\r\n').out(PROMPT).end();
    assert.equal(tty.text, 'stty -echo\r*****************\r');
    assert.deepEqual(tty.commandTexts, ['stty -echo']);
  });

  test('a line typed before its echo arrives counts once the echo comes, escape sequences around it', () => {
    const tty = new Tty().out(PROMPT).silent('echo hi');
    assert.equal(tty.records.length, 0, 'held until echoed');
    tty.type('\r');
    tty.out('\x1b[?2004l\x1b[1me\x1b[0mcho hi\r\nhi\r\n').out(PROMPT);
    assert.equal(tty.text, 'echo hi\r');
    assert.deepEqual(tty.commandTexts, [], 'a command settled by output waits for the next input');
    tty.type('x');
    assert.deepEqual(tty.commandTexts, ['echo hi']);
    assert.equal(tty.commands[0]!.t, 8, 'the command keeps the time of its Enter');
  });

  test('backspace editing stays in clear and the command is what the screen shows', () => {
    const tty = new Tty().out(PROMPT).echoed('lx');
    tty.type('\x7f').out('\b \b').echoed('s').type('\x7f').out('\b\x1b[K').echoed('s -l');
    tty.type('\r').out('\r\n').end();
    assert.equal(tty.text, 'lx\x7fs\x7fs -l\r');
    assert.deepEqual(tty.commandTexts, ['ls -l']);
  });

  test('fast typing with the line editor redrawing in colour still counts as echoed', () => {
    const tty = new Tty().out(PROMPT).type('l').out('\x1b[31ml\x1b[39m').type('s').out('\b\x1b[32mls\x1b[39m');
    tty.type('\r').out('\r\n').end();
    assert.equal(tty.text, 'ls\r');
    assert.deepEqual(tty.commandTexts, ['ls']);
  });

  test('a line longer than the terminal width gives the whole command', () => {
    const command = `echo ${'0123456789'.repeat(5)} end`;
    const tty = new Tty(20, 5).out(PROMPT).echoed(command).type('\r').out('\r\n').end();
    assert.equal(tty.text, `${command}\r`);
    assert.deepEqual(tty.commandTexts, [command]);
  });

  test('after the window narrows, a wrapped command is still read whole', () => {
    const command = `printf '%s\\n' ${'abcdefghij'.repeat(4)}`;
    const tty = new Tty(120, 40).out(PROMPT);
    tty.observer.resize(30, 10);
    tty.out('\x1b[H\x1b[2J').out(PROMPT).echoed(command).type('\r').out('\r\n').end();
    assert.deepEqual(tty.commandTexts, [command]);
  });

  test('reading the cursor line after a window shrank over wrapped rows terminates', () => {
    // Found by fuzzing: the screen's rows form a ring, so reading past the last row wrapped around.
    const o = new TerminalObserver(188, 10);
    o.resize(3, 256);
    o.output(0, Uint8Array.of(0xb3, 0x0f, 0x23, 0x2c, 0x6b));
    o.input(120, Uint8Array.of(0x9d));
    o.output(160, encoder.encode('vu'));
    o.output(240, encoder.encode('t{F$'));
    o.resize(2963, 2);
    // The typed byte is not UTF-8; the target shows a broken character too, which counts as its echo.
    assert.deepEqual(o.output(320, Uint8Array.of(0x6e, 0xc6, 0xd2)), [{ t: 120, data: Uint8Array.of(0x9d) }]);
    assert.deepEqual(o.flush(400), []);
  });

  test('arrow keys, Tab and Ctrl-C on an unechoed line are kept as they are', () => {
    const tty = new Tty().out('PIN? ').silent('12').type('\x1b[D').silent('3').type('\t').type('\x03').out('^C\r\n').end();
    assert.equal(tty.text, '**\x1b[D*\t\x03');
    assert.deepEqual(tty.commandTexts, []);
  });

  test('multi-byte characters are printable: clear when echoed, one star per byte when not', () => {
    const tty = new Tty().out(PROMPT).echoed('echo héllo €').type('\r').out('\r\nhéllo €\r\n').out('Passphrase: ');
    tty.type(Uint8Array.of(0x70, 0xc3)).type(Uint8Array.of(0xa9, 0xe2, 0x82)).type(Uint8Array.of(0xac)).type('\r').out('\r\n').end();
    assert.equal(tty.text, 'echo héllo €\r******\r');
    assert.deepEqual(tty.commandTexts, ['echo héllo €']);
  });

  test('records keep each byte with the time of the chunk it was typed in', () => {
    const tty = new Tty().out('Password: ');
    tty.type(Uint8Array.of(0x1b)).type('[A').type('ab\r').out('\r\n').end();
    assert.deepEqual(
      tty.records.map((r) => [r.t, Buffer.from(r.data).toString('latin1')]),
      [
        [1, '\x1b'],
        [2, '[A'],
        [3, '**\r'],
      ],
    );
  });

  test('a line typed at a secret prompt is masked even if the target echoes it', () => {
    const tty = new Tty().out('Enter passphrase for key /home/alice/.ssh/id_ed25519: ').echoed('opensesame').type('\r').out('\r\n').end();
    assert.equal(tty.text, '**********\r');
    assert.deepEqual(tty.commandTexts, []);
  });

  test('a secret typed ahead of its prompt is masked when the prompt appears', () => {
    const tty = new Tty().out(PROMPT).echoed('sudo -k id').type('\r').silent('s3cret').type('\r');
    tty.out('\r\n[sudo] password for alice: ').out('\r\nuid=0(root) gid=0(root) s3cret\r\n').end();
    assert.equal(tty.text, 'sudo -k id\r******\r');
  });

  test('lines typed ahead, echoed after the previous command ran, are recorded in clear, both commands', () => {
    const tty = new Tty().out(PROMPT).type('ls\rpwd\r').out('ls\r\nREADME\r\n').out(PROMPT).out('pwd\r\n/home/alice\r\n').out(PROMPT);
    tty.type('');
    assert.equal(tty.text, 'ls\rpwd\r');
    assert.deepEqual(tty.commandTexts, ['ls', 'pwd']);
  });

  test('a typed-ahead line is hidden when the person types again before its echo', () => {
    const tty = new Tty().out(PROMPT).type('stty -echo\rid -un\r').out('stty -echo\r\n').out(PROMPT);
    tty.at(5000).type('x').out('\r\n').end();
    assert.equal(tty.text, 'stty -echo\r******\r*');
    assert.deepEqual(tty.commandTexts, ['stty -echo']);
  });

  test('a line typed just before its prompt was shown is echoed after it: in clear, and the command', () => {
    // The keys reach the gateway while the prompt, written before they reached the target, is on its way.
    const tty = new Tty().out(PROMPT).echoed('echo done').type('\r').out('\r\ndone\r\n').type('exit');
    tty.out(`\x1b]0;alice@web1: ~\x07\x1b[01;32mbob-the-builder@web1\x1b[00m:\x1b[01;34m~/src/project\x1b[00m$ `);
    tty.out('exit').type('\r').out('\r\nlogout\r\n').end();
    assert.equal(tty.text, 'echo done\rexit\r');
    assert.deepEqual(tty.commandTexts, ['echo done', 'exit']);
  });

  test('a prompt that asks where the cursor is, answered while the line typed before it waits for its echo', () => {
    const tty = new Tty().out(PROMPT).echoed('true').type('\r').out('\r\n').type('uptime');
    tty.out(`\x1b[6n${'~/projects/recgate on main via node '.repeat(2)}❯ `).type('\x1b[7;1R').out('uptime').type('\r').out('\r\n').end();
    assert.equal(tty.text, 'true\ruptime\x1b[7;1R\r');
    assert.deepEqual(tty.commandTexts, ['true', 'uptime']);
  });

  test('a two-line prompt before the echo, and an edited line typed before it, give the command shown', () => {
    const tty = new Tty().out(PROMPT).echoed('true').type('\r').out('\r\n').type('lx\x7fs');
    tty.out('\x1b[1m┌──(alice㉿web1)-[~/projects/recgate]\x1b[0m\r\n└─$ ').out('lx\b \bs').type(' -a').out(' -a').type('\r').out('\r\n').end();
    assert.equal(tty.text, 'true\rlx\x7fs -a\r');
    assert.deepEqual(tty.commandTexts, ['true', 'ls -a']);
  });

  test('an unechoed line whose characters the output shows only apart, or too late, stays masked', () => {
    const apart = new Tty().out('Enter code ').silent('4242').type('\r').out('\r\nchecking 4 then 2, and 4 2 ...\r\n').end();
    assert.equal(apart.text, '****\r');
    const late = new Tty().out('Enter code ').silent('77').out('X'.repeat(300)).out('77\r\n').type('\r').end();
    assert.equal(late.text, '**\r');
    assert.deepEqual([...apart.commandTexts, ...late.commandTexts], []);
  });

  test('a key a program consumed silently does not mask the next command line', () => {
    const tty = new Tty().out(PROMPT).echoed('less -X log').type('\r').out('\r\nline 1\r\n:');
    tty.at(100).type('q').out('\r\x1b[K$ ');
    tty.at(9000).echoed('ls').type('\r').out('\r\n').end();
    assert.equal(tty.text, 'less -X log\r*ls\r');
    assert.deepEqual(tty.commandTexts, ['less -X log', 'ls']);
  });

  test('a silent read followed by the prompt on the same line does not hold the next command back', () => {
    const tty = new Tty().out('Key (hidden) ').silent('k3y').type('\r').out('$ ');
    tty.at(4000).echoed('ls').type('\r').out('\r\nREADME\r\n').end();
    assert.equal(tty.text, '***\rls\r');
    assert.deepEqual(tty.commandTexts, ['ls']);
  });

  test('output that never echoes a typed key closes its line, and the next line is judged afresh', () => {
    const tty = new Tty().out(PROMPT).type('j').out('\x1b[2;1Hredrawn by the program\x1b[24;1H'.repeat(2));
    tty.out(`\r\n${PROMPT}`).echoed('pwd').type('\r').out('\r\n').end();
    assert.equal(tty.text, '*pwd\r');
    assert.deepEqual(tty.commandTexts, ['pwd']);
  });

  test('on the alternate screen keystrokes are the record: a full-screen program\'s silent keys are kept as typed', () => {
    const tty = new Tty().out('\x1b[?1049h\x1b[H\x1b[2Jline one\r\nline two\r\n~\r\n').silent('ddjx').type('\x1b').silent('u');
    tty.out('\x1b[?1049l').out(PROMPT).silent('hidden').type('\r').out('\r\n').end();
    assert.equal(tty.text, 'ddjx\x1bu******\r', 'outside the alternate screen an unechoed line is masked again');
  });

  test('on the alternate screen a secret prompt still masks what is typed after it', () => {
    const tty = new Tty().out('\x1b[?1049h\x1b[H\x1b[2J$ sudo true\r\n[sudo] password for alice: ').silent('hunter2').type('\r');
    tty.out('\r\n$ \x1b[K').echoed('ls').type('\r').out('\r\n').end();
    assert.equal(tty.text, '*******\rls\r');
  });

  test('a paste arriving in two chunks around the first echo stays in clear', () => {
    const tty = new Tty().out(PROMPT).type('ls\rpwd\r').out('ls\r\nREADME\r\n').type('id -u\r');
    tty.out(`${PROMPT}pwd\r\n/home/alice\r\n${PROMPT}id -u\r\n1000\r\n${PROMPT}`).end();
    assert.equal(tty.text, 'ls\rpwd\rid -u\r');
    assert.deepEqual(tty.commandTexts, ['ls', 'pwd', 'id -u']);
  });

  test('a recalled history line submitted with Enter is the command shown', () => {
    const tty = new Tty().out(PROMPT).type('\x1b[A').out('uptime').echoed(' -p').type('\r').out('\r\n').end();
    assert.equal(tty.text, '\x1b[A -p\r');
    assert.deepEqual(tty.commandTexts, ['uptime -p']);
  });

  test('an empty Enter and an aborted line give no command', () => {
    const tty = new Tty().out(PROMPT).type('\r').out(`\r\n${PROMPT}`).echoed('rm -rf x').type('\x03').out(`^C\r\n${PROMPT}`).end();
    assert.equal(tty.text, '\rrm -rf x\x03');
    assert.deepEqual(tty.commandTexts, []);
  });

  test('a line entered in a full-screen program is a command marked as such: an editor\'s :wq, a shell inside tmux', () => {
    const vim = new Tty().out('\x1b[?1049h\x1b[H\x1b[2J~\r\n~\r\n').silent('dd').echoed(':wq').type('\r').out('\x1b[?1049l').end();
    assert.equal(vim.text, 'dd:wq\r');
    assert.deepEqual(vim.commands.map((c) => [c.command, c.alternate]), [[':wq', true]]);
    const tmux = new Tty().out('\x1b[?1049h\x1b[H\x1b[2Jalice@web01:~$ \x1b[24;1H\x1b[7m[0] 0:bash\x1b[m\x1b[1;16H').echoed('uname -r').type('\r').end();
    assert.deepEqual(tmux.commands.map((c) => [c.command, c.alternate]), [['uname -r', true]]);
    const plain = new Tty().out(PROMPT).echoed('id').type('\r').out('\r\n').end();
    assert.equal(plain.commands[0]?.alternate, undefined);
  });

  test('a line typed while the previous command ran, echoed by the tty and again after the prompt, is one command', () => {
    const tty = new Tty().out(PROMPT).echoed('sleep 1').type('\r').out('\r\n');
    tty.type('vim notes.txt').out('vim notes.txt').out(`${PROMPT}vim notes.txt`).type('\r').out('\r\n').end();
    assert.deepEqual(tty.commandTexts, ['sleep 1', 'vim notes.txt']);
  });

  test('on the alternate screen, an Enter before the program echoes gives the typed line; leaving the screen ends the line', () => {
    const less = new Tty().out('\x1b[?1049h\x1b[H\x1b[2Jone\r\ntwo\r\n\x1b[24;1H:').type('/thr\r').out('\x1b[24;1H/thr').silent('q');
    less.out('\x1b[?1049l').out(PROMPT).echoed('uptime').type('\r').out('\r\n').end();
    assert.equal(less.text, '/thr\rquptime\r');
    assert.deepEqual(less.commands.map((c) => [c.command, c.alternate ?? false]), [['/thr', true], ['uptime', false]]);
  });

  test('more than the pending bound of unechoed typing is released masked before Enter', () => {
    const tty = new Tty().out('> ');
    tty.type('k'.repeat(MAX_PENDING_BYTES + 100));
    assert.equal(tty.text, '*'.repeat(MAX_PENDING_BYTES + 100));
    tty.type('more\r').out('\r\n').end();
    assert.equal(tty.text, '*'.repeat(MAX_PENDING_BYTES + 104) + '\r');
  });

  test('flush masks whatever never got its echo', () => {
    const tty = new Tty().out(PROMPT).echoed('ec').type('ho').end();
    assert.equal(tty.text, 'ec**');
  });
});
