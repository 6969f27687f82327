// xxHash64 (seed 0) over raw bytes: the cache key's hash. Collisions are harmless because the
// full key is compared on every hit; speed matters because it runs on every request.
// Specification: https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md

const PRIME64_1: u64 = 0x9E3779B185EBCA87;
const PRIME64_2: u64 = 0xC2B2AE3D27D4EB4F;
const PRIME64_3: u64 = 0x165667B19E3779F9;
const PRIME64_4: u64 = 0x85EBCA77C2B2AE63;
const PRIME64_5: u64 = 0x27D4EB2F165667C5;

@inline function round(accumulator: u64, lane: u64): u64 {
  accumulator += lane * PRIME64_2;
  accumulator = rotl<u64>(accumulator, 31);
  return accumulator * PRIME64_1;
}

@inline function mergeRound(accumulator: u64, value: u64): u64 {
  accumulator ^= round(0, value);
  return accumulator * PRIME64_1 + PRIME64_4;
}

export function xxhash64(ptr: usize, len: u32): u64 {
  let p = ptr;
  const end = ptr + <usize>len;
  let h: u64;
  if (len >= 32) {
    let v1: u64 = PRIME64_1 + PRIME64_2;
    let v2: u64 = PRIME64_2;
    let v3: u64 = 0;
    let v4: u64 = 0 - PRIME64_1;
    const limit = end - 32;
    do {
      v1 = round(v1, load<u64>(p));
      v2 = round(v2, load<u64>(p, 8));
      v3 = round(v3, load<u64>(p, 16));
      v4 = round(v4, load<u64>(p, 24));
      p += 32;
    } while (p <= limit);
    h = rotl<u64>(v1, 1) + rotl<u64>(v2, 7) + rotl<u64>(v3, 12) + rotl<u64>(v4, 18);
    h = mergeRound(h, v1);
    h = mergeRound(h, v2);
    h = mergeRound(h, v3);
    h = mergeRound(h, v4);
  } else {
    h = PRIME64_5;
  }
  h += <u64>len;
  while (p + 8 <= end) {
    h ^= round(0, load<u64>(p));
    h = rotl<u64>(h, 27) * PRIME64_1 + PRIME64_4;
    p += 8;
  }
  if (p + 4 <= end) {
    h ^= <u64>load<u32>(p) * PRIME64_1;
    h = rotl<u64>(h, 23) * PRIME64_2 + PRIME64_3;
    p += 4;
  }
  while (p < end) {
    h ^= <u64>load<u8>(p) * PRIME64_5;
    h = rotl<u64>(h, 11) * PRIME64_1;
    p++;
  }
  h ^= h >> 33;
  h *= PRIME64_2;
  h ^= h >> 29;
  h *= PRIME64_3;
  h ^= h >> 32;
  return h;
}
