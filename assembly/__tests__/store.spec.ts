import { bytes, len, ptr } from "./helpers";
import { MemoryStore } from "../store/memory";
import { EntryMeta, RecordParts, recordBody, recordBodyLength, recordKeyEquals, recordStatus } from "../store/record";
import { PurgeRequest } from "../store/purge";
import { xxhash64 } from "../store/xxhash64";

const MIB: u32 = 1 << 20;
const meta = new EntryMeta();
const parts = new RecordParts();
const headers = bytes("");

function put(store: MemoryStore, key: string, bodySize: u32, fill: u8 = 0x61): bool {
  const k = bytes(key);
  const body = new ArrayBuffer(bodySize);
  memory.fill(changetype<usize>(body), fill, bodySize);
  meta.keyHash = xxhash64(ptr(k), len(k));
  meta.status = 200;
  meta.urlLength = urlLength(key);
  return store.put(meta, parts.set(ptr(k), len(k), 0, 0, ptr(headers), 0, changetype<usize>(body), bodySize));
}

/** Keys in these specs are a URL, then optionally "|" and variant bytes. */
function urlLength(key: string): u32 {
  const bar = key.indexOf("|");
  return <u32>String.UTF8.byteLength(bar < 0 ? key : key.substring(0, bar));
}

function find(store: MemoryStore, key: string): usize {
  const k = bytes(key);
  return store.find(xxhash64(ptr(k), len(k)), ptr(k), len(k), urlLength(key));
}

describe("memory store", () => {
  it("finds what it stored, byte for byte", () => {
    const store = new MemoryStore(MIB, MIB / 4);
    expect(put(store, "a", 100, 0x42)).toBe(true);
    const r = find(store, "a");
    expect(r).not.toBe(0);
    expect(recordStatus(r)).toBe(200);
    expect(recordBodyLength(r)).toBe(100);
    expect(load<u8>(recordBody(r) + 99)).toBe(0x42);
    expect(find(store, "b")).toBe(0);
  });

  it("compares the full key, so equal hashes never mix entries", () => {
    const store = new MemoryStore(MIB, MIB / 4);
    const a = bytes("key-a");
    const b = bytes("key-b");
    meta.keyHash = 42; // force a collision
    store.put(meta, parts.set(ptr(a), len(a), 0, 0, ptr(headers), 0, ptr(a), len(a)));
    store.put(meta, parts.set(ptr(b), len(b), 0, 0, ptr(headers), 0, ptr(b), len(b)));
    const ra = store.find(42, ptr(a), len(a), len(a));
    const rb = store.find(42, ptr(b), len(b), len(b));
    expect(recordKeyEquals(ra, ptr(a), len(a))).toBe(true);
    expect(recordKeyEquals(rb, ptr(b), len(b))).toBe(true);
    expect(ra).not.toBe(rb);
    expect(store.count).toBe(2);
  });

  it("replaces an entry stored again under the same key", () => {
    const store = new MemoryStore(MIB, MIB / 4);
    put(store, "a", 10, 0x31);
    put(store, "a", 20, 0x32);
    expect(store.count).toBe(1);
    expect(recordBodyLength(find(store, "a"))).toBe(20);
  });

  it("removes entries", () => {
    const store = new MemoryStore(MIB, MIB / 4);
    put(store, "a", 10);
    const k = bytes("a");
    expect(store.remove(xxhash64(ptr(k), len(k)), ptr(k), len(k), len(k))).toBe(true);
    expect(find(store, "a")).toBe(0);
    expect(store.remove(xxhash64(ptr(k), len(k)), ptr(k), len(k), len(k))).toBe(false);
  });

  it("never stores an object larger than half the ring", () => {
    const store = new MemoryStore(MIB, MIB / 4);
    expect(put(store, "big", MIB / 2 + 1)).toBe(false);
    expect(find(store, "big")).toBe(0);
  });

  it("stays within its limit under churn and keeps every findable entry intact", () => {
    const store = new MemoryStore(MIB, MIB / 4);
    for (let i = 0; i < 5000; i++) {
      const size = <u32>(100 + (i * 7919) % 60000);
      expect(put(store, "k" + i.toString(), size, <u8>(i & 0xff))).toBe(true);
      expect(store.bytesUsed).toBeLessThanOrEqual(MIB);
    }
    // The newest entry is always there; every entry still findable has its own bytes.
    expect(find(store, "k4999")).not.toBe(0);
    let found = 0;
    for (let i = 0; i < 5000; i++) {
      const r = find(store, "k" + i.toString());
      if (r == 0) continue;
      found++;
      expect(recordBodyLength(r)).toBe(<u32>(100 + (i * 7919) % 60000));
      expect(load<u8>(recordBody(r))).toBe(<u8>(i & 0xff));
    }
    expect(found).toBe(<i32>store.count);
    expect(found).toBeGreaterThan(10);
  });

  it("evicts the oldest first but spares recently used entries (CLOCK)", () => {
    const store = new MemoryStore(MIB, MIB / 4);
    for (let i = 0; i < 8; i++) put(store, "old" + i.toString(), 50000);
    store.touch(find(store, "old3")); // a hit
    for (let i = 0; i < 16; i++) put(store, "new" + i.toString(), 50000);
    expect(find(store, "old3")).not.toBe(0);
    expect(find(store, "old2")).toBe(0);
    expect(find(store, "old4")).toBe(0);
  });

  it("bounds the number of entries by its index, evicting when it is full", () => {
    const store = new MemoryStore(MIB, MIB / 4);
    for (let i = 0; i < 20000; i++) put(store, "tiny" + i.toString(), 1);
    expect(store.count).toBeLessThanOrEqual(2048 * 3 / 4);
    expect(find(store, "tiny19999")).not.toBe(0);
  });

  it("is reusable after everything was evicted", () => {
    const store = new MemoryStore(MIB, MIB / 4);
    for (let i = 0; i < 100; i++) put(store, "x" + i.toString(), 200000);
    expect(put(store, "again", 10)).toBe(true);
    expect(find(store, "again")).not.toBe(0);
  });
});

describe("memory store segments", () => {
  it("takes memory from the host only as it fills", () => {
    const store = new MemoryStore(8 * MIB, MIB / 4);
    expect(store.bytesReserved).toBe(0);
    put(store, "first", 1000);
    const afterOne = store.bytesReserved;
    expect(afterOne).toBeLessThanOrEqual(2 * MIB); // the index and one segment
    for (let i = 0; i < 3000; i++) put(store, "k" + i.toString(), <u32>(1000 + (i * 7919) % 200000), <u8>(i & 0xff));
    expect(store.bytesReserved).toBeGreaterThan(afterOne);
    expect(store.bytesReserved).toBeLessThanOrEqual(8 * MIB);
  });

  it("keeps every findable entry intact across segment ends under churn", () => {
    const store = new MemoryStore(8 * MIB, MIB / 4);
    for (let i = 0; i < 4000; i++) {
      expect(put(store, "k" + i.toString(), <u32>(100 + (i * 7919) % 250000), <u8>(i & 0xff))).toBe(true);
    }
    let found = 0;
    for (let i = 0; i < 4000; i++) {
      const r = find(store, "k" + i.toString());
      if (r == 0) continue;
      found++;
      expect(recordBodyLength(r)).toBe(<u32>(100 + (i * 7919) % 250000));
      expect(load<u8>(recordBody(r) + recordBodyLength(r) - 1)).toBe(<u8>(i & 0xff));
    }
    expect(found).toBe(<i32>store.count);
    expect(found).toBeGreaterThan(40);
    expect(store.bytesUsed).toBeLessThanOrEqual(8 * MIB);
  });

  it("refuses a record larger than a segment", () => {
    const store = new MemoryStore(8 * MIB, MIB / 4);
    expect(put(store, "huge", 2 * MIB)).toBe(false);
    expect(put(store, "fits", MIB / 4)).toBe(true);
  });

  it("spares recently used entries across segments", () => {
    const store = new MemoryStore(8 * MIB, MIB / 4);
    for (let i = 0; i < 20; i++) put(store, "old" + i.toString(), 200000);
    store.touch(find(store, "old5"));
    for (let i = 0; i < 30; i++) put(store, "new" + i.toString(), 200000); // less than one more lap
    expect(find(store, "old5")).not.toBe(0);
    expect(find(store, "old4")).toBe(0);
  });
});

const purgeRequest = new PurgeRequest();

function purgeWith(store: MemoryStore, urls: string[], prefixes: string[], all: bool): i32 {
  purgeRequest.urls = [];
  purgeRequest.prefixes = [];
  purgeRequest.tags = [];
  purgeRequest.all = all;
  for (let i = 0; i < urls.length; i++) purgeRequest.urls.push(bytes(urls[i]));
  for (let i = 0; i < prefixes.length; i++) purgeRequest.prefixes.push(bytes(prefixes[i]));
  return <i32>store.purge(purgeRequest);
}

describe("memory store purge", () => {
  it("removes a URL with all its variants, and nothing else", () => {
    const store = new MemoryStore(MIB, MIB / 4);
    put(store, "h\n/a|gzip", 10);
    put(store, "h\n/a|br", 10);
    put(store, "h\n/ab", 10);
    expect(purgeWith(store, ["h\n/a"], [], false)).toBe(2);
    expect(find(store, "h\n/a|gzip")).toBe(0);
    expect(find(store, "h\n/a|br")).toBe(0);
    expect(find(store, "h\n/ab")).not.toBe(0);
  });

  it("removes by prefix of host and path", () => {
    const store = new MemoryStore(MIB, MIB / 4);
    put(store, "h\n/p/1", 10);
    put(store, "h\n/p/2", 10);
    put(store, "other\n/p/1", 10);
    expect(purgeWith(store, [], ["h\n/p/"], false)).toBe(2);
    expect(find(store, "other\n/p/1")).not.toBe(0);
    expect(store.count).toBe(1);
  });

  it("removes everything, and stores again afterwards", () => {
    const store = new MemoryStore(MIB, MIB / 4);
    for (let i = 0; i < 50; i++) put(store, "h\n/" + i.toString(), 1000);
    expect(purgeWith(store, [], [], true)).toBe(50);
    expect(store.count).toBe(0);
    expect(put(store, "h\n/again", 10)).toBe(true);
    expect(find(store, "h\n/again")).not.toBe(0);
  });
});
