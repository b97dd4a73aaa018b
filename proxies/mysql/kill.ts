/**
 * What the gateway does with a client's KILL (COM_QUERY text, see
 * kill-statement.ts, or COM_PROCESS_KILL, MySQL Source Code Documentation
 * "COM_PROCESS_KILL": 0x0C | connection id:int<4>): an id of one of the same
 * person's connections to the same target is translated to its target
 * thread and recorded as a `cancel` event (in the asking connection's session and the
 * cancelled one's); any other is refused with ER_NO_SUCH_THREAD
 * (1094), and a KILL the gateway cannot check with ER_SPECIFIC_ACCESS_DENIED_ERROR
 * (1227); the relay records refusals as `command-refused`.
 */
import type { RecordedEvent } from '../../src/recording/frames.js';
import { killText, parseKill } from './kill-statement.js';
import { Command } from './protocol/commands.js';
import type { ThreadIds, ThreadOwner } from './threads.js';

export type KillDecision =
  | { kind: 'pass' }
  | { kind: 'rewrite'; payload: Buffer }
  | { kind: 'refuse'; command: string; code: number; sqlState: string; message: string };

export interface KillJudge {
  judge(command: number, payload: Buffer): KillDecision;
}

const PASS: KillDecision = { kind: 'pass' };
const NO_SUCH_THREAD = { code: 1094, sqlState: 'HY000' };
const ACCESS_DENIED = { code: 1227, sqlState: '42000' };

/** `asker` is the connection's person and target, and `self` the gateway id it was greeted with. */
export function killJudge(ids: ThreadIds, asker: ThreadOwner, record: (e: RecordedEvent) => void, self = 0): KillJudge {
  const translate = (command: string, id: number, scope: 'QUERY' | 'CONNECTION'): { thread: number } | KillDecision => {
    const found = ids.lookup(id, asker);
    if (found.kind === 'found') {
      const s = scope === 'QUERY' ? 'query' : 'connection';
      record({ type: 'cancel', scope: s, connectionId: id, targetThread: found.thread });
      // The cancelled connection's recording says so too (unless it cancelled itself).
      if (id !== self) found.cancelled?.(self, s);
      return { thread: found.thread };
    }
    const why = found.kind === 'other-target' ? ` (recgate: that connection is to ${found.target}; KILL it through a connection to ${found.target})` : '';
    return { kind: 'refuse', command, ...NO_SUCH_THREAD, message: `Unknown thread id: ${id}${why}` };
  };
  return {
    judge(command, payload) {
      if (command === Command.COM_PROCESS_KILL) {
        if (payload.length !== 5) return { kind: 'refuse', command: 'COM_PROCESS_KILL', ...ACCESS_DENIED, message: 'recgate: malformed COM_PROCESS_KILL' };
        const t = translate('COM_PROCESS_KILL', payload.readUInt32LE(1), 'CONNECTION');
        if ('kind' in t) return t;
        const out = Buffer.alloc(5);
        out[0] = Command.COM_PROCESS_KILL;
        out.writeUInt32LE(t.thread >>> 0, 1);
        return { kind: 'rewrite', payload: out };
      }
      if (command !== Command.COM_QUERY || !mentionsKill(payload)) return PASS;
      const k = parseKill(payload.toString('utf8', 1));
      if (k.kind === 'none') return PASS;
      if (k.kind === 'refuse') return { kind: 'refuse', command: 'KILL', ...ACCESS_DENIED, message: `recgate: ${k.reason}` };
      const t = translate('KILL', k.id, k.scope);
      if ('kind' in t) return t;
      return { kind: 'rewrite', payload: Buffer.concat([Buffer.of(Command.COM_QUERY), Buffer.from(killText(k, t.thread), 'utf8')]) };
    },
  };
}

/** The letters k-i-l-l in any case anywhere in the bytes: most queries are passed without being decoded. */
export function mentionsKill(b: Buffer): boolean {
  for (let i = b.indexOf(0x6b) >= 0 || b.indexOf(0x4b) >= 0 ? 0 : b.length; i + 3 < b.length; i++) {
    if ((b[i]! | 0x20) === 0x6b && (b[i + 1]! | 0x20) === 0x69 && (b[i + 2]! | 0x20) === 0x6c && (b[i + 3]! | 0x20) === 0x6c) return true;
  }
  return false;
}
