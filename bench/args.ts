/**
 * The benches' command lines: node's parseArgs, with `--help` (or `-h`) listing the options
 * and their defaults; what each means is in the bench's own header comment.
 */
import { basename } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export function benchArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(`usage: node ${basename(process.argv[1] ?? 'bench.js')} [--option value ...]${config.allowPositionals ? ' [arguments]' : ''}\n`);
    for (const [name, option] of Object.entries(config.options ?? {})) {
      const value = option.default;
      const shown = value === undefined || value === '' ? '' : ` (default: ${Array.isArray(value) ? value.join(',') : String(value)})`;
      console.log(`  --${name}${option.type === 'string' ? ' VALUE' : ''}${shown}`);
    }
    process.exit(0);
  }
  return parseArgs(config);
}
