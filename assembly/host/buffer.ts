// A growable byte buffer outside the garbage-collected heap (heap.alloc), reused across requests
// so the hit path allocates nothing once buffers have reached their working size.
// Positions are offsets from `ptr`, which stay valid when the buffer grows (ptr may move).

export class ByteBuffer {
  ptr: usize;
  capacity: u32;
  length: u32 = 0;

  constructor(initialCapacity: u32) {
    this.capacity = initialCapacity;
    this.ptr = heap.alloc(<usize>initialCapacity);
  }

  @inline reset(): void {
    this.length = 0;
  }

  @inline get end(): usize {
    return this.ptr + <usize>this.length;
  }

  @inline get free(): u32 {
    return this.capacity - this.length;
  }

  /** Makes room for `extra` more bytes after `length`. */
  reserve(extra: u32): void {
    const needed = <u64>this.length + <u64>extra;
    if (needed <= <u64>this.capacity) return;
    let capacity = <u64>this.capacity << 1;
    while (capacity < needed) capacity <<= 1;
    this.ptr = heap.realloc(this.ptr, <usize>capacity);
    this.capacity = <u32>capacity;
  }

  appendByte(b: u8): void {
    this.reserve(1);
    store<u8>(this.end, b);
    this.length++;
  }

  appendBytes(src: usize, len: u32): void {
    this.reserve(len);
    memory.copy(this.end, src, len);
    this.length += len;
  }

  appendU32(value: u32): void {
    this.reserve(4);
    store<u32>(this.end, value);
    this.length += 4;
  }

  appendString(s: string): void {
    const len = <u32>String.UTF8.byteLength(s);
    this.reserve(len);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.end);
    this.length += len;
  }

  /** Appends the decimal digits of a non-negative integer. */
  appendDecimal(value: u64): void {
    let digits: u32 = 1;
    for (let v = value; v >= 10; v /= 10) digits++;
    this.reserve(digits);
    let p = this.end + <usize>digits;
    let v = value;
    do {
      p--;
      store<u8>(p, <u8>(0x30 + <u32>(v % 10)));
      v /= 10;
    } while (v > 0);
    this.length += digits;
  }
}
