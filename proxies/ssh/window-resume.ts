/**
 * A repair for ssh2's channel writes that wait for window (ssh2 1.17).
 *
 * When a write to a channel's stdout or stderr does not fit the peer's
 * window, ssh2 keeps the rest in `_chunk` (stdout) or `_chunkErr` (stderr)
 * and sends it when a WINDOW_ADJUST arrives, stdout first. It never clears
 * them after sending. So once stdout has waited for window, its last chunk
 * stays behind: a later stderr write that waits for window gets, at the next
 * WINDOW_ADJUST, that old stdout chunk sent again in its place (the person's
 * output duplicated) while the stderr bytes are never sent, and the write
 * never completes (a target's stderr stalls; the gateway's own message is
 * lost).
 *
 * The repair clears the kept chunk once its write has completed. Node's
 * Writable calls `_write` again only after the previous write's callback, so
 * at that moment the kept chunk can only be the one just sent.
 */
import type { ServerChannel } from 'ssh2';

type Write = (data: Buffer, encoding: BufferEncoding | null, cb: (err?: Error | null) => void) => void;

interface PendingWrites {
  _write: Write;
  _chunk?: Buffer | undefined;
  _chunkcb?: unknown;
  _chunkErr?: Buffer | undefined;
  _chunkcbErr?: unknown;
  stderr: { _write: Write };
}

export function repairWindowResume(channel: ServerChannel): void {
  const c = channel as unknown as PendingWrites;
  if (typeof c._write !== 'function' || typeof c.stderr?._write !== 'function') return;
  clearAfterWrite(c, () => {
    c._chunk = undefined;
    c._chunkcb = undefined;
  });
  clearAfterWrite(c.stderr, () => {
    c._chunkErr = undefined;
    c._chunkcbErr = undefined;
  });
}

/** Runs `clear` when each write of `stream` completes, before its callback. */
function clearAfterWrite(stream: { _write: Write }, clear: () => void): void {
  const write = stream._write;
  stream._write = function (data, encoding, cb) {
    write.call(this, data, encoding, (err) => {
      clear();
      cb(err);
    });
  };
}
