/**
 * Reading secrets from a person: a prompt on the terminal without echo, or
 * the first line of standard input when it is not a terminal (scripts).
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { GatewayError } from '../errors.js';

export async function readSecret(question: string, options: { confirm?: boolean } = {}): Promise<string> {
  if (!process.stdin.isTTY) return readFirstStdinLine();
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

async function readFirstStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if ((chunk as Buffer).includes(10)) break;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const newline = text.indexOf('\n');
  return (newline === -1 ? text : text.slice(0, newline)).replace(/\r$/, '');
}
