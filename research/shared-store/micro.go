package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// micro measures the cost of each WASI call from the guest (loops run inside the guest, so the
// host→guest call is amortised), plus the same syscall from Go for comparison.
func micro(wasm []byte, dir string) {
	h := newHost(wasm, dir+":/cache")
	defer h.Close()
	i := h.inst()
	must(os.WriteFile(filepath.Join(dir, "data"), make([]byte, 1<<20), 0o600))
	must(os.Mkdir(filepath.Join(dir, "d1000"), 0o700))
	for k := 0; k < 1000; k++ {
		must(os.WriteFile(filepath.Join(dir, "d1000", fmt.Sprintf("%016x", k*7919)), nil, 0o600))
	}
	t := &table{title: "2. Cost per WASI call from the guest (µs, median of " + strconv.Itoa(*reps) + " runs)",
		head: []string{"call", "WASI µs", "Go direct µs", "note"}}
	run := func(n int, f func()) func() (time.Duration, int) {
		return func() (time.Duration, int) { return timed(f), n }
	}
	native := func(n int, f func()) string { return us(median(*reps, run(n, f))) }

	l := i.setIn(0, "data")
	t.add("host→guest export call (empty)", us(median(*reps, run(10000, func() {
		for k := 0; k < 10000; k++ {
			i.call("calls")
		}
	}))), "–", "per request cost of one guest call; not a WASI call")
	t.add("clock_time_get(realtime)", us(median(*reps, run(10000, func() { i.call("m_clock", 10000) }))), "–", "")
	t.add("path_open existing + fd_close", us(median(*reps, run(2000, func() { check("open_close", i.i32("m_open_close", l, 2000)) }))),
		native(2000, func() {
			for k := 0; k < 2000; k++ {
				f, _ := os.Open(filepath.Join(dir, "data"))
				f.Close()
			}
		}), "")
	openNs := median(*reps, run(1000, func() { check("open_many", i.i32("m_open_many", l, 1000)); i.call("m_close_many", 1000) }))
	closeNs := median(*reps, func() (time.Duration, int) {
		check("open_many", i.i32("m_open_many", l, 1000))
		return timed(func() { check("close_many", i.i32("m_close_many", 1000)) }), 1000
	})
	t.add("path_open existing (alone)", us(openNs-closeNs), "–", "open+close minus close")
	t.add("fd_close", us(closeNs), "–", "")

	// O_CREAT|O_EXCL of new files, then close, then unlink, then rename-over-existing.
	var createNs, unlinkNs, renameNs []float64
	for r := 0; r < *reps; r++ {
		pl := i.setIn(0, "n"+strconv.Itoa(r)+"-")
		tl := i.setIn(1024, "target")
		d := timed(func() { check("create", i.i32("m_create_many", pl, 1000, 1)) })
		createNs = append(createNs, float64(d.Nanoseconds())/1000)
		i.call("m_close_many", 1000)
		d = timed(func() { check("rename", i.i32("m_rename_many", pl, 1000, tl)) })
		renameNs = append(renameNs, float64(d.Nanoseconds())/1000)
		check("create", i.i32("m_create_many", pl, 1000, 1))
		i.call("m_close_many", 1000)
		d = timed(func() { check("unlink", i.i32("m_unlink_many", pl, 1000)) })
		unlinkNs = append(unlinkNs, float64(d.Nanoseconds())/1000)
	}
	t.add("path_open O_CREAT|O_EXCL (new file)", us(med(createNs)), native(1000, func() {
		for k := 0; k < 1000; k++ {
			f, _ := os.OpenFile(filepath.Join(dir, "g"+strconv.Itoa(k)), os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
			f.Close()
		}
		for k := 0; k < 1000; k++ {
			os.Remove(filepath.Join(dir, "g"+strconv.Itoa(k)))
		}
	}), "Go column: create+close+unlink")
	t.add("path_rename over an existing file", us(med(renameNs)), "–", "")
	t.add("path_unlink_file", us(med(unlinkNs)), "–", "")

	l = i.setIn(0, "data")
	fd := i.i32("open_path", l, 0, 66, 0)
	check("open data", fd)
	f, _ := os.OpenFile(filepath.Join(dir, "data"), os.O_RDWR, 0)
	defer f.Close()
	for _, size := range []int{1 << 10, 64 << 10, 1 << 20} {
		n := 2000
		if size == 1<<20 {
			n = 100
		}
		b := make([]byte, size)
		name := fmt.Sprintf("%d KiB", size>>10)
		t.add("fd_pread "+name, us(median(*reps, run(n, func() { check("pread", i.i32("m_pread", uint64(fd), uint64(size), uint64(n))) }))),
			native(n, func() {
				for k := 0; k < n; k++ {
					f.ReadAt(b, 0)
				}
			}), "page cache hot")
		t.add("fd_pwrite "+name, us(median(*reps, run(n, func() { check("pwrite", i.i32("m_pwrite", uint64(fd), uint64(size), uint64(n))) }))),
			native(n, func() {
				for k := 0; k < n; k++ {
					f.WriteAt(b, 0)
				}
			}), "no fsync")
	}
	t.add("fd_filestat_get", us(median(*reps, run(5000, func() { check("fstat", i.i32("m_fstat", uint64(fd), 5000)) }))),
		native(5000, func() {
			for k := 0; k < 5000; k++ {
				f.Stat()
			}
		}), "")
	t.add("path_filestat_get", us(median(*reps, run(5000, func() { check("pstat", i.i32("m_pstat", l, 5000)) }))), "–", "")
	dl := i.setIn(0, "d1000")
	var entries int32
	readdirNs := median(*reps, run(5, func() { entries = i.i32("m_readdir", dl, 5) }))
	t.add("path_open(dir) + fd_readdir to the end + fd_close, 1000 files", us(readdirNs),
		native(1, func() { os.ReadDir(filepath.Join(dir, "d1000")) }), fmt.Sprintf("%d entries incl. . and ..; 64 KiB buffer", entries))
	for _, size := range []int{1 << 10, 64 << 10} {
		n := 2000
		t.add(fmt.Sprintf("xxh64 of %d KiB in the guest", size>>10), us(median(*reps, run(n, func() { i.call("m_hash", uint64(size), uint64(n)) }))), "–", "checksum cost, no WASI")
	}
	i.call("close_fd", uint64(fd))

	// mtime resolution as seen through fd_filestat_get.
	fd = i.i32("open_path", l, 0, 66, 0)
	var mt []int64
	for k := 0; k < 5; k++ {
		i.call("m_pwrite", uint64(fd), 16, 1)
		i.call("fstat_size", uint64(fd))
		mt = append(mt, int64(i.call("stat_mtime")))
	}
	i.call("close_fd", uint64(fd))
	t.print()
	fmt.Printf("\nmtime after 5 consecutive 16-byte pwrites, as fd_filestat_get reports (ns since epoch): %v\n", mt)
}

func med(v []float64) float64 {
	c := append([]float64(nil), v...)
	for a := 1; a < len(c); a++ {
		for b := a; b > 0 && c[b] < c[b-1]; b-- {
			c[b], c[b-1] = c[b-1], c[b]
		}
	}
	return c[len(c)/2]
}
