package gohost

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// FuzzSharedStoreFile: whatever bytes end up in the store file (a torn write on a network volume,
// a disk error, someone else's program), the guest never traps, never answers 5xx, and never
// serves a body the backend did not send for that URL. Each input is a list of (offset, byte)
// writes into a warm store, aimed at the control block, the index and the first records.
// `go test` runs the seeds; `go test -fuzz FuzzSharedStoreFile` explores.
func FuzzSharedStoreFile(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0, 0xff})                               // the magic
	f.Add([]byte{64, 0, 0, 0, 0x80, 71, 0, 0, 0, 0x7f})           // the cursor
	f.Add([]byte{0x10, 0x10, 0, 0, 1, 0x18, 0x10, 0, 0, 0x40})    // an index way: key hash, position
	f.Add([]byte{0x1c, 0x10, 0, 0, 0xff, 0x1d, 0x10, 0, 0, 0xff}) // an index way: length
	f.Add([]byte{0x44, 0, 2, 0, 0xff, 0x57, 0, 2, 0, 0x20, 0x90, 0, 2, 0, 7})
	f.Fuzz(func(t *testing.T, damage []byte) {
		const keys = 12
		dir := t.TempDir()
		o := newOrigin(func(k string) int {
			var i int
			fmt.Sscanf(k, "/f/%d", &i)
			return 100 + i*900
		})
		h := newHostWith(t, sharedConfig("4Mi", "64Ki", purgeTokenConfig()), o.Backend, mountOf(dir))
		for i := 0; i < keys; i++ {
			h.Do(get(fmt.Sprintf("/f/%d", i)))
		}
		file := filepath.Join(dir, storeFileName)
		fh, err := os.OpenFile(file, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		control := make([]byte, 48)
		if _, err := fh.ReadAt(control, 0); err != nil {
			t.Fatal(err)
		}
		// Aim at what matters: the control block, the index, and the data's first 64 KiB.
		span := binary.LittleEndian.Uint64(control[32:]) + 64<<10
		for i := 0; i+5 <= len(damage); i += 5 {
			at := uint64(binary.LittleEndian.Uint32(damage[i:])) % span
			if _, err := fh.WriteAt(damage[i+4:i+5], int64(at)); err != nil {
				t.Fatal(err)
			}
		}
		fh.Close()

		check := func(when string) {
			for i := 0; i < keys; i++ {
				k := fmt.Sprintf("/f/%d", i)
				if _, err := o.check(k, h.Do(get(k)), false); err != nil {
					t.Fatalf("%s: GET %s: %v", when, k, err)
				}
			}
		}
		check("after the damage")
		for _, body := range []string{`{"prefixes":["/f/1"]}`, `{"tags":["t"]}`, `{"urls":["/f/2"]}`} {
			res := h.Do(purgePostReq(body, testPurgeToken))
			if res.Trapped() || res.Status != 200 {
				for _, e := range h.Log.Entries() {
					t.Logf("guest log: %d %s", e.Level, e.Message)
				}
				t.Fatalf("purge %s after the damage: %s", body, res)
			}
		}
		check("after purges")
		if st, err := os.Stat(file); err == nil && st.Size() > 4<<20 {
			t.Fatalf("the store file is %d bytes, over the limit", st.Size())
		}
	})
}
