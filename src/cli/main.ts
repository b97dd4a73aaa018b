/**
 * recgate: the command line. Every command takes --config and ends with one
 * clear line and a non-zero exit on bad input.
 */
import { Command, CommanderError, Option } from 'commander';
import { GatewayError } from '../errors.js';
import { DEFAULT_TERMINATE_MESSAGE } from '../daemon/control.js';
import { addFilterOptions } from './filters.js';
import { printable } from './printable.js';

const configOption = (): Option =>
  new Option('-c, --config <file>', 'config file (default: config/recgate.yaml, else config/recgate.example.yaml)');

function command(parent: Command, name: string, description: string): Command {
  return parent.command(name).description(description).addOption(configOption());
}

/**
 * Each command's module is imported when the command runs: the gateway and its proxies take most
 * of a second to load, which `recordings export` or `sessions list` should not wait for.
 */
export function buildProgram(): Command {
  const program = new Command('recgate')
    .description('session-recording gateway: records SSH, database and desktop sessions, sealed for auditors only')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`recgate: ${text.replace(/^error: /, '')}`) });

  command(program, 'start', 'run the gateway').action(async (o) => (await import('../daemon/daemon.js')).startDaemon(o));

  const keys = program.command('keys').description('auditor keys');
  command(keys, 'generate', 'write a new auditor key pair: FILE (encrypted) and FILE.pub')
    .requiredOption('--out <file>', 'the private key file to write')
    .option('--name <name>', 'a comment for the public key line')
    .action(async (o) => (await import('./keys.js')).generateKey(o));
  command(keys, 'rotate', 're-seal every recording from an old auditor key to a new public key')
    .requiredOption('--from <file>', 'the old private key file')
    .requiredOption('--to <file>', 'the new public key file (.pub)')
    .option('--update-config <file>', "also name the new key in this gateway config (comments kept) and have the running gateway reload it")
    .action(async (o) => (await import('./keys.js')).rotateKeys(o));

  const users = program.command('users').description('gateway users');
  command(users, 'hash', 'read a password and print its Argon2id hash for users[].password')
    .option('--scram', 'print the SCRAM-SHA-256 verifier for users[].scram instead (PostgreSQL logins)')
    .option('--mysql-native', 'print the mysql_native_password hash for users[].mysqlNative instead (MySQL logins)')
    .option('--nt', 'print the NT hash for users[].rdpNtHash instead (RDP Network Level Authentication; password-equivalent)')
    .action(async (o) => (await import('./users.js')).hashUserPassword(o));

  const recordings = program.command('recordings').description('list, export, replay, search and verify recordings');
  addFilterOptions(command(recordings, 'list', 'list recordings'))
    .option('--json', 'print a JSON array')
    .option('-q, --quiet', 'print only the ids, one a line')
    .action(async (o) => (await import('./recordings-list.js')).listRecordings(o));
  command(recordings, 'export', 'decrypt a recording into a zip (.tys/.tm, .cast, events, and the video of a graphical session)')
    .argument('<id>')
    .requiredOption('--key <file>', 'your auditor private key file')
    .requiredOption('--out <path>', 'the zip file to write (the video file with --video)')
    .option('--video <format>', 'write only the video of a graphical recording: webm or mp4')
    .option('--fps <n>', 'video frames per second (default 10)')
    .option('--skip-idle <seconds>', 'in the video, shorten every pause without screen change to this many seconds')
    .option('--overlay', 'draw keystrokes and clicks on the video as captions')
    .option('--force', 'decrypt even if verification fails, printing every finding first')
    .action(async (id, o) => {
      const unlocking = (await import('./auditor-key.js')).unlockInBackground(o.key);
      return (await import('./recordings-read.js')).exportRecording(id, { ...o, unlocking });
    });
  command(recordings, 'play', 'replay a terminal recording here')
    .argument('<id>')
    .requiredOption('--key <file>', 'your auditor private key file')
    .option('--speed <n>', 'playback speed factor', '1')
    .option('--skip-idle <seconds>', 'cap every pause at this many seconds')
    .option('--channel <n>', 'terminal channel to play', '0')
    .option('--raw', 'write the output bytes as recorded, without filtering (for a file or a player you trust)')
    .option('--follow', 'a live recording: write what is stored, then the output as it is stored, until the session ends')
    .option('--force', 'decrypt even if verification fails, printing every finding first')
    .action(async (id, o) => (await import('./recordings-read.js')).playRecording(id, o));
  command(recordings, 'events', "print a recording's events (commands, queries, file operations, the end), one a line")
    .argument('<id>')
    .requiredOption('--key <file>', 'your auditor private key file')
    .option('--json', 'print one JSON object a line')
    .option('--force', 'decrypt even if verification fails, printing every finding first')
    .action(async (id, o) => (await import('./recordings-events.js')).printEvents(id, o));
  addFilterOptions(command(recordings, 'search', 'search the text of recordings your key opens'))
    .argument('<text>')
    .requiredOption('--key <file>', 'your auditor private key file')
    .option('--force', 'search recordings that fail verification too, printing every finding first')
    .action(async (text, o) => (await import('./recordings-read.js')).searchRecordings(text, o));
  command(recordings, 'verify', "check one recording's signatures, chunks and log entries, or all of them and the log")
    .argument('[id]')
    .option('--all', 'verify every recording and the gateway\'s log')
    .option('--head <seq:hash>', 'a log head printed earlier: the log must still contain exactly that entry')
    .action(async (id, o) => (await import('./recordings-verify.js')).verifyRecordings(id, o));

  const sessions = program.command('sessions').description('live sessions of the running gateway');
  command(sessions, 'list', 'list live sessions')
    .option('--json', 'print a JSON array')
    .action(async (o) => (await import('./sessions.js')).listSessions(o));
  command(sessions, 'terminate', 'end a live session, telling the person why')
    .argument('<id>')
    .option('--message <text>', 'what the person is told', DEFAULT_TERMINATE_MESSAGE)
    .option('--lock <duration>', 'also lock the person out for this long (15m, 2h, 1d)')
    .option('--lock-scope <scope>', 'what the lock covers: target (this target, the default) or gateway (every target)')
    .action(async (id, o) => (await import('./sessions.js')).terminateSession(id, o));
  command(sessions, 'locks', 'list active locks')
    .option('--json', 'print a JSON array')
    .action(async (o) => (await import('./sessions.js')).listLocks(o));
  command(sessions, 'unlock', "lift a person's locks (every one, or the one on --target)")
    .argument('<user>', 'the gateway user')
    .option('--target <name>', 'lift only the lock on this target')
    .action(async (user, o) => (await import('./sessions.js')).unlockUser(user, o));

  command(program, 'reload', 'have the running gateway reload recipients, users and targets from its config file')
    .action(async (o) => (await import('./reload.js')).reloadGateway(o));

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    process.stderr.write(`recgate: ${printable(describe(err))}\n`);
    return err instanceof GatewayError && err.code === 'RG_ERR_USAGE' ? 2 : 1;
  }
}

function describe(err: unknown): string {
  if (err instanceof GatewayError) return err.message;
  if (err instanceof Error) return `unexpected error: ${err.message}`;
  return `unexpected error: ${String(err)}`;
}
