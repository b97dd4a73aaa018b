/**
 * Reading secrets from a person: a prompt on the terminal without echo, or
 * the first line of standard input when it is not a terminal (scripts). With
 * no terminal and nothing on standard input (a service, CI, `< /dev/null`)
 * it says so, and how to give the secret instead, rather than reading "".
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { GatewayError } from '../errors.js';

export interface SecretOptions {
  /** Ask twice and compare (new secrets). */
  confirm?: boolean;
  /** What is asked for, as in "no terminal to ask for <what> on". */
  what?: string;
  /** How to give it without a terminal, as in "set RECGATE_PASSPHRASE". */
  otherwise?: string;
}

/** The hint for key passphrases, which RECGATE_PASSPHRASE can give. */
export const PASSPHRASE_HINT = "set RECGATE_PASSPHRASE to the key's passphrase in the environment (export RECGATE_PASSPHRASE, or RECGATE_PASSPHRASE=... recgate ...), or run the command in a terminal";

export async function readSecret(question: string, options: SecretOptions = {}): Promise<string> {
  if (!process.stdin.isTTY) {
    const line = await readFirstStdinLine();
    if (line === undefined) {
      const what = options.what ?? 'the secret';
      const otherwise = options.otherwise ?? `write ${what} as the first line of standard input, or run the command in a terminal`;
      throw new GatewayError('RG_ERR_USAGE', `no terminal to ask for ${what} on, and nothing on standard input: ${otherwise}`);
    }
    return line;
  }
  const first = await promptHidden(question);
  if (options.confirm) {
    const again = await promptHidden('Again: ');
    if (again !== first) throw new GatewayError('RG_ERR_USAGE', 'the two entries differ');
  }
  return first;
}

function promptHidden(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve, reject) => {
    rl.question(question, (answer) => {
      process.stderr.write('\n');
      rl.close();
      resolve(answer);
    });
    rl.on('SIGINT', () => {
      rl.close();
      reject(new GatewayError('RG_ERR_USAGE', 'cancelled'));
    });
    muted = true;
  });
}

/** The first line of standard input; undefined when it ends before any byte. */
async function readFirstStdinLine(): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if ((chunk as Buffer).includes(10)) break;
  }
  if (chunks.every((c) => c.length === 0)) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  const newline = text.indexOf('\n');
  return (newline === -1 ? text : text.slice(0, newline)).replace(/\r$/, '');
}
