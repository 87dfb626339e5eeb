/**
 * The window of append messages sent to one follower and not yet
 * acknowledged, bounded by count and by bytes. A full window pauses
 * replication to that follower until acknowledgements free space.
 */
export class Inflights {
  private readonly indexes: number[] = [];
  private readonly sizes: number[] = [];
  private head = 0;
  private bytes = 0;

  constructor(
    private readonly maxCount: number,
    private readonly maxBytes: number,
  ) {}

  /** Number of messages in flight. */
  get count(): number {
    return this.indexes.length - this.head;
  }

  /** Bytes in flight. */
  get inflightBytes(): number {
    return this.bytes;
  }

  /** Whether no more messages may be sent. */
  full(): boolean {
    return this.count >= this.maxCount || this.bytes >= this.maxBytes;
  }

  /** Record a message whose last entry has `index`, carrying `bytes` of entry data. */
  add(index: number, bytes: number): void {
    this.indexes.push(index);
    this.sizes.push(bytes);
    this.bytes += bytes;
  }

  /** Free every message whose last index is ≤ `index`. */
  freeLE(index: number): void {
    while (this.head < this.indexes.length && this.indexes[this.head]! <= index) {
      this.bytes -= this.sizes[this.head]!;
      this.head++;
    }
    // Compact now and then so the arrays do not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.indexes.length) {
      this.indexes.splice(0, this.head);
      this.sizes.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Free the oldest message, whatever its index. */
  freeFirstOne(): void {
    if (this.count === 0) return;
    this.freeLE(this.indexes[this.head]!);
  }

  /** Forget everything in flight. */
  reset(): void {
    this.indexes.length = 0;
    this.sizes.length = 0;
    this.head = 0;
    this.bytes = 0;
  }
}
