/**
 * `recordings events ID`: the events of one recording (commands, queries, file
 * operations, resizes, the end), one line each, for the recordings `play`
 * cannot show (an sftp or exec-only session has no terminal). Every field is
 * printed with control characters escaped.
 */
import { FrameKind } from '../recording/frames.js';
import { withContext, type GlobalOptions } from './context.js';
import { printable, safeJson } from './printable.js';
import { eventText, formatOffset, withReader } from './recordings-read.js';

export async function printEvents(id: string, options: GlobalOptions & { key: string; json?: boolean; force?: boolean }): Promise<void> {
  await withContext(options, (ctx) =>
    withReader(ctx, id, options, async (reader) => {
      let count = 0;
      for await (const f of reader.frames('events')) {
        if (f.kind !== FrameKind.Event) continue;
        count++;
        if (options.json) process.stdout.write(safeJson({ t: f.t, ...f.event }) + '\n');
        else process.stdout.write(`+${formatOffset(f.t)}  ${printable(String(f.event.type))}  ${printable(eventText(f.event))}`.trimEnd() + '\n');
      }
      if (count === 0) process.stderr.write(`recording ${printable(id)} has no events\n`);
    }),
  );
}
