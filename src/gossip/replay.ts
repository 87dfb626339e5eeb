/**
 * A bounded memory of recently seen packet nonces. Every encrypted packet
 * carries a fresh random nonce, so a second packet with a nonce already
 * seen is a replay (an attacker resending captured traffic) and is dropped.
 * Old nonces are forgotten first-in first-out; a replay older than the
 * window is harmless to SWIM, whose merges ignore stale incarnations.
 */
export class ReplayCache {
  private readonly seenKeys = new Set<string>();

  constructor(private readonly capacity = 65_536) {}

  /** Record `nonce`; returns true if it was already seen (a replay). */
  check(nonce: Uint8Array): boolean {
    let key = '';
    for (let i = 0; i < nonce.length; i++) key += String.fromCharCode(nonce[i]!);
    if (this.seenKeys.has(key)) return true;
    this.seenKeys.add(key);
    if (this.seenKeys.size > this.capacity) this.seenKeys.delete(this.seenKeys.values().next().value!);
    return false;
  }

  /** Nonces remembered now. */
  get size(): number {
    return this.seenKeys.size;
  }
}
