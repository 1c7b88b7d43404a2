/** Which of a few Durable Objects a key goes to (rate-limit shards, flush relays). Pure code. */

/** FNV-1a (32-bit) of a key: spreads keys over shards; not a secret, only an even spread. */
export function shardOf(key: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}
