/**
 * What a database observer keeps of a connection's statements, bounded: texts cut to a
 * length, and maps (prepared statements, portals) of at most MAX_TRACKED entries, the least
 * recently defined forgotten first.
 */

/** Statements (and portals) remembered per connection. */
export const MAX_TRACKED = 512;

/** `text`, cut to `max` UTF-16 units with an ellipsis when longer. */
export function keep(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** Sets `key` as the newest entry of `map`, forgetting the oldest past MAX_TRACKED. */
export function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  // The only entry is the newest already. Most connections bind every statement to one portal,
  // and deleting a map's last entry makes V8 shrink its table, which the set then grows again.
  if (map.size === 1 && map.has(key)) {
    map.set(key, value);
    return;
  }
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_TRACKED) map.delete(map.keys().next().value!);
}
