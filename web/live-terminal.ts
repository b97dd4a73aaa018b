/**
 * A terminal fed as a session happens: asciinema-player with a driver of our
 * own (the player takes a function as its source and calls it with its
 * dispatcher, as its built-in live drivers are). Text written here goes to
 * the player's terminal emulator at once; writes before the player is ready
 * wait in order. Recorded text reaches the DOM only through the emulator.
 */
import * as AsciinemaPlayer from 'asciinema-player';

type Dispatch = (event: string, data?: unknown) => void;

export interface LiveTerminal {
  write(text: string): void;
  resize(cols: number, rows: number): void;
  /** The session ended: the player says so over the terminal. */
  end(message: string): void;
  dispose(): void;
}

export function mountLiveTerminal(into: HTMLElement, cols: number, rows: number): LiveTerminal {
  let dispatch: Dispatch | undefined;
  const waiting: [string, unknown][] = [];
  const startedAt = performance.now();
  const send = (event: string, data: unknown): void => {
    if (dispatch) dispatch(event, data);
    else waiting.push([event, data]);
  };
  const timing = () => ({ time: (performance.now() - startedAt) / 1000, rate: 1, sampledAt: performance.timeOrigin + performance.now() });
  const driver = (callbacks: { dispatch: Dispatch }) => ({
    init: () => callbacks.dispatch('reset', { size: { cols, rows }, theme: null }),
    play: () => {
      callbacks.dispatch('play');
      callbacks.dispatch('playing');
      callbacks.dispatch('timing', timing());
      dispatch = callbacks.dispatch;
      for (const [event, data] of waiting.splice(0)) dispatch(event, data);
      return true;
    },
    getTiming: timing,
  });
  into.replaceChildren();
  const player = AsciinemaPlayer.create(driver as unknown as AsciinemaPlayer.Source, into, { autoPlay: true, fit: 'width', cols, rows, controls: false });
  return {
    write: (text) => send('output', text),
    resize: (c, r) => send('resize', { cols: c, rows: r }),
    end: (message) => send('ended', { message }),
    dispose: () => player.dispose(),
  };
}
