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
 * And when stdout and stderr both wait at once, a WINDOW_ADJUST resumes only
 * stdout; once that completes, nothing resumes stderr (the gateway's message
 * to the person after a target broke flow control is exactly such a write,
 * behind output the person had not read yet).
 *
 * The repair clears the kept chunk once its write has completed. Node's
 * Writable calls `_write` again only after the previous write's callback, so
 * at that moment the kept chunk can only be the one just sent. Then, if the
 * other stream's write still waits, it is sent when window is left, or the
 * channel is marked as waiting so that the next WINDOW_ADJUST sends it.
 */
import type { ServerChannel } from 'ssh2';

type Write = (data: Buffer, encoding: BufferEncoding | null, cb: (err?: Error | null) => void) => void;

interface PendingWrites {
  _write: Write;
  outgoing: { window: number };
  _waitWindow: boolean;
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
    resume(c.stderr, c._chunkErr, c._chunkcbErr, c);
  });
  clearAfterWrite(c.stderr, () => {
    c._chunkErr = undefined;
    c._chunkcbErr = undefined;
    resume(c, c._chunk, c._chunkcb, c);
  });
}

/**
 * Sends the rest of a write that still waits when the peer's window has room for it;
 * otherwise marks the channel as waiting, so that the next WINDOW_ADJUST sends it (a
 * write that exactly filled the window leaves the mark unset).
 */
function resume(stream: { _write: Write }, chunk: Buffer | undefined, cb: unknown, channel: PendingWrites): void {
  if (!chunk || typeof cb !== 'function') return;
  if (channel.outgoing.window > 0) stream._write(chunk, null, cb as (err?: Error | null) => void);
  else channel._waitWindow = true;
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
