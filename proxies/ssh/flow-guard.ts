/**
 * Guards against peers that abuse SSH flow control (RFC 4254 §5.2), which
 * ssh2 tolerates: data beyond the window we granted is pushed anyway (so a
 * peer could make us buffer without bound), and a zero maximum packet size
 * makes its send loop spin. A channel whose peer does either is closed.
 */
import type { Channel } from 'ssh2';

/** The smallest maximum packet size a peer may advertise; OpenSSH uses 32 KiB. */
export const MIN_PACKET_SIZE = 256;

interface ChannelState {
  incoming: { window: number };
  outgoing: { packetSize: number; window: number };
}

function state(channel: Channel): ChannelState {
  return channel as unknown as ChannelState;
}

/** Why the peer's side of `channel` cannot be served, or null. */
export function packetSizeProblem(channel: Channel): string | null {
  const size = state(channel).outgoing.packetSize;
  return typeof size === 'number' && size >= MIN_PACKET_SIZE ? null : `maximum packet size ${size} is below ${MIN_PACKET_SIZE}`;
}

/**
 * Calls `onViolation` (once) as soon as the peer sends data beyond the window
 * it was granted: ssh2 decrements the window before each push, so a negative
 * window at push time is that violation. Checked on every push, flowing or paused.
 */
export function guardWindow(channel: Channel, onViolation: (message: string) => void): void {
  const push = channel.push.bind(channel);
  let violated = false;
  channel.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (!violated && chunk !== null && state(channel).incoming.window < 0) {
      violated = true;
      onViolation(`peer sent ${-state(channel).incoming.window} bytes beyond the channel window`);
      return false;
    }
    return violated && chunk !== null ? false : push(chunk, encoding);
  };
}
