/**
 * The page gives the players times in seconds (asciinema-player's unit); a recording's frames
 * are at whole milliseconds. `t / 1000 * 1000` is not always `t` (5001 / 1000 * 1000 is
 * 5000.999999999999), and a frame at `t` would then come after the moment asked for: a hit or
 * marker opened at 5.001 s would show the screen from just before it. Milliseconds from seconds
 * are rounded to the microsecond, which takes that error away and keeps any finer seek.
 */
export function msOf(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e3;
}
