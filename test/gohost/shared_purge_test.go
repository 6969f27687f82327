package gohost

import (
	"encoding/binary"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// Purge corner cases of the shared store, each once a way to serve a purged entry or to trap.

// taggedBackend answers "<path> v<version>" padded to 1 KiB with Surrogate-Key: tagk, or to
// 400 KiB without a tag under /fill/ (to push the log round quickly).
func taggedBackend(version *atomic.Int32) *Backend {
	return NewBackend(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=300")
		size := 1 << 10
		if strings.HasPrefix(r.URL.Path, "/fill/") {
			size = 400 << 10
		} else {
			w.Header().Set("Surrogate-Key", "tagk")
		}
		body := []byte(fmt.Sprintf("%s v%d\n", r.URL.Path, version.Load()))
		w.Write(append(body, make([]byte, size)...))
	})
}

// twoMiddlewaresOnOneFile: one instance each (one Go P, no GC), both on one shared store file of
// 4 MiB with purge on, in front of taggedBackend; version is what the backend answers now (1).
func twoMiddlewaresOnOneFile(t *testing.T) (version *atomic.Int32, dir string, a, b *Host) {
	oneInstance(t)
	version = &atomic.Int32{}
	version.Store(1)
	backend, dir := taggedBackend(version), t.TempDir()
	cfg := sharedConfig("4Mi", "512Ki", purgeTokenConfig())
	return version, dir, newHostWith(t, cfg, backend, mountOf(dir)), newHostWith(t, cfg, backend, mountOf(dir))
}

func servedVersion(res *Result, path string) string {
	line, _, _ := strings.Cut(string(res.Body), "\n")
	return strings.TrimPrefix(line, path+" ")
}

// A tag purge must also clear the index way of an entry whose record the log has since written
// over: the instance that stored the entry still has it in its memory front, and its view of
// the log's cursor is old, so the way alone decides whether it serves it.
func TestSharedTagPurgeReachesAFrontWhoseRecordIsGone(t *testing.T) {
	version, _, a, b := twoMiddlewaresOnOneFile(t)
	a.Do(get("/k"))
	for i := 0; i < 12; i++ { // about 5 MiB through a 4 MiB store, by the other instance
		b.Do(get(fmt.Sprintf("/fill/%d", i)))
	}
	version.Store(2)
	if n, err := purgedCount(b.Do(purgePostReq(`{"tags":["tagk"]}`, testPurgeToken))); err != nil {
		t.Fatalf("purge by tag: %v (%d)", err, n)
	}
	if v := servedVersion(a.Do(get("/k")), "/k"); v != "v2" {
		t.Errorf("GET /k through the instance that stored it, after a purge of its tag: %s, want v2 from the backend", v)
	}
}

// A purge through an instance that still holds a store file someone removed must reach the file
// every other instance uses now, not the orphan.
func TestSharedPurgeThroughAnInstanceHoldingARemovedFile(t *testing.T) {
	version, dir, a, b := twoMiddlewaresOnOneFile(t)
	a.Do(get("/k"))
	if err := os.Remove(filepath.Join(dir, storeFileName)); err != nil {
		t.Fatal(err)
	}
	version.Store(2)
	b.Do(get("/other")) // b stores: it notices the file is gone and makes a new one
	b.Do(get("/k"))
	if res := b.Do(get("/k")); servedVersion(res, "/k") != "v2" || res.CacheStatus() != "HIT" {
		t.Fatalf("GET /k through b in the new file: %s %s, want a HIT of v2", res.CacheStatus(), servedVersion(res, "/k"))
	}
	version.Store(3)
	if n, err := purgedCount(a.Do(purgeReq("/k", testPurgeToken))); err != nil || n != 1 {
		t.Fatalf("PURGE /k through a: %v, purged %d, want 1", err, n)
	}
	if v := servedVersion(b.Do(get("/k")), "/k"); v != "v3" {
		t.Errorf("GET /k through b after PURGE through a: %s, want v3 from the backend", v)
	}
}

// A record head is not covered by a checksum until the whole record is read, and a purge by tag
// reads only heads: a corrupt tag count (here 2^29, whose size in bytes wraps 32 bits) must not
// send the guest off its memory.
func TestSharedCorruptRecordHeadsNeverTrapAPurge(t *testing.T) {
	_, dir, a, _ := twoMiddlewaresOnOneFile(t)
	for i := 0; i < 8; i++ {
		a.Do(get(fmt.Sprintf("/k/%d", i)))
	}
	f, err := os.OpenFile(filepath.Join(dir, storeFileName), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	control := make([]byte, 48)
	if _, err := f.ReadAt(control, 0); err != nil {
		t.Fatal(err)
	}
	indexOffset := binary.LittleEndian.Uint64(control[24:])
	dataOffset := binary.LittleEndian.Uint64(control[32:])
	dataSize := binary.LittleEndian.Uint64(control[40:])
	index := make([]byte, dataOffset-indexOffset)
	if _, err := f.ReadAt(index, int64(indexOffset)); err != nil {
		t.Fatal(err)
	}
	patched := 0
	for i := 0; i+32 <= len(index); i += 32 {
		if positionPlusOne := binary.LittleEndian.Uint64(index[i+16:]); positionPlusOne != 0 {
			// envelope (16 bytes), then the record header's tag count at 68
			at := int64(dataOffset + (positionPlusOne-1)%dataSize + 16 + 68)
			if _, err := f.WriteAt(binary.LittleEndian.AppendUint32(nil, 1<<29), at); err != nil {
				t.Fatal(err)
			}
			patched++
		}
	}
	if patched != 8 {
		t.Fatalf("patched %d records, want 8", patched)
	}
	// A tag no record has: every tag of every head is compared.
	res := a.Do(purgePostReq(`{"tags":["other"]}`, testPurgeToken))
	if res.Trapped() || res.Status != 200 {
		t.Fatalf("purge by tag over corrupt record heads: %s", res)
	}
	for i := 0; i < 8; i++ {
		path := fmt.Sprintf("/k/%d", i)
		if res := a.Do(get(path)); res.CacheStatus() == "HIT" && servedVersion(res, path) != "v1" {
			t.Errorf("GET %s: a HIT of %q", path, servedVersion(res, path))
		}
	}
}
