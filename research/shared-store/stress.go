package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	oCreat, oExcl, oTrunc = 1, 4, 8
	fdAppend              = 1
	rightsRW              = 66
)

func uniform(b []byte) bool {
	t := binary.LittleEndian.Uint32(b)
	for p := 4; p+4 <= len(b); p += 4 {
		if binary.LittleEndian.Uint32(b[p:]) != t {
			return false
		}
	}
	return true
}

// openIn opens name relative to the preopen in every instance.
func openIn(insts []*Inst, name string, oflags, fdflags uint64) []uint64 {
	fds := make([]uint64, len(insts))
	for k, i := range insts {
		l := i.setIn(0, name)
		fd := i.i32("open_path", l, oflags, rightsRW, fdflags)
		check("open "+name, fd)
		fds[k] = uint64(fd)
	}
	return fds
}

func stress(wasm []byte, dir string) {
	sub := filepath.Join(dir, "stress")
	must(os.Mkdir(sub, 0o700))
	h := newHost(wasm, sub+":/cache")
	defer h.Close()
	const N = 8
	insts := make([]*Inst, N)
	for k := range insts {
		insts[k] = h.inst()
	}
	D := *stressD
	t := &table{title: fmt.Sprintf("3. Concurrency between instances (%d instances = goroutines, one runtime, same mount; %v per row)", N, D),
		head: []string{"test", "trials", "bad", "detail"}}

	// (a1) concurrent pwrites of whole records at the same offset: do they ever mix?
	must(os.WriteFile(filepath.Join(sub, "ww"), make([]byte, 1<<20), 0o600))
	fds := openIn(insts, "ww", 0, 0)
	host, _ := os.Open(filepath.Join(sub, "ww"))
	defer host.Close()
	for _, c := range []struct {
		size  int
		split uint64
	}{{1 << 10, 0}, {64 << 10, 0}, {1 << 20, 0}, {64 << 10, 1}} {
		rounds, mixed := 0, 0
		buf := make([]byte, c.size)
		var tag atomic.Uint32
		for end := time.Now().Add(D); time.Now().Before(end); rounds++ {
			var wg sync.WaitGroup
			start := make(chan struct{})
			for k := 0; k < 4; k++ {
				wg.Add(1)
				go func(k int) {
					defer wg.Done()
					<-start
					r := insts[k].i32("s_pwrite", fds[k], 0, uint64(c.size), uint64(tag.Add(1)), c.split)
					check("s_pwrite", r)
				}(k)
			}
			close(start)
			wg.Wait()
			host.ReadAt(buf, 0)
			if !uniform(buf) {
				mixed++
			}
		}
		name := fmt.Sprintf("(a) 4 instances pwrite a %d KiB record at one offset at once; file checked after each round", c.size>>10)
		if c.split == 1 {
			name += " — record as 2 iovecs"
		}
		t.add(name, fmt.Sprint(rounds), fmt.Sprint(mixed), "bad = rounds whose result mixes two writers")
	}

	// (a2) a concurrent pread of a record being overwritten: torn?
	for _, size := range []int{1 << 10, 4 << 10, 64 << 10, 1 << 20} {
		var reads, torn, writes atomic.Int64
		var wg sync.WaitGroup
		end := time.Now().Add(D)
		for k := 0; k < 4; k++ {
			wg.Add(1)
			go func(k int) {
				defer wg.Done()
				i, fd := insts[k], fds[k]
				for n := uint64(1); time.Now().Before(end); n++ {
					if k < 2 { // writers
						check("s_pwrite", i.i32("s_pwrite", fd, 0, uint64(size), uint64(k)<<28|n, 0))
						writes.Add(1)
					} else {
						r := i.i32("s_pread_check", fd, 0, uint64(size))
						check("s_pread_check", r)
						reads.Add(1)
						if r != 0 {
							torn.Add(1)
						}
					}
				}
			}(k)
		}
		wg.Wait()
		t.add(fmt.Sprintf("(a) 2 instances overwrite a %d KiB record with pwrite, 2 others pread it", size>>10),
			fmt.Sprint(reads.Load()), fmt.Sprint(torn.Load()), fmt.Sprintf("bad = torn reads (%.3f%%), %d writes", 100*float64(torn.Load())/float64(max(1, reads.Load())), writes.Load()))
	}

	// (b) O_APPEND from several instances.
	for _, c := range []struct {
		size, per int
		split     uint64
	}{{4 << 10, 400, 0}, {64 << 10, 60, 0}, {64 << 10, 60, 1}} {
		name := fmt.Sprintf("log-%d-%d", c.size, c.split)
		afds := openIn(insts[:4], name, oCreat, fdAppend)
		var wg sync.WaitGroup
		for k := 0; k < 4; k++ {
			wg.Add(1)
			go func(k int) {
				defer wg.Done()
				for n := 0; n < c.per; n++ {
					r := insts[k].i32("s_append", afds[k], uint64(c.size), uint64(k<<24|n), c.split)
					check("s_append", r)
				}
			}(k)
		}
		wg.Wait()
		b, _ := os.ReadFile(filepath.Join(sub, name))
		bad, seen := 0, map[uint32]bool{}
		for p := 0; p+c.size <= len(b); p += c.size {
			if !uniform(b[p : p+c.size]) {
				bad++
			} else {
				seen[binary.LittleEndian.Uint32(b[p:])] = true
			}
		}
		label := fmt.Sprintf("(b) 4 instances append %d records of %d KiB each with fd_write on an O_APPEND fd", c.per, c.size>>10)
		if c.split == 1 {
			label += " — record as 2 iovecs"
		}
		t.add(label, fmt.Sprint(4*c.per), fmt.Sprint(bad),
			fmt.Sprintf("bad = mixed records; file %d bytes (want %d), %d distinct intact records", len(b), 4*c.per*c.size, len(seen)))
		for k := 0; k < 4; k++ {
			insts[k].call("close_fd", afds[k])
		}
	}
	// fd_pwrite on an O_APPEND fd
	afd := openIn(insts[:1], "log-pwrite", oCreat, fdAppend)[0]
	pw := insts[0].i32("s_pwrite", afd, 0, 64, 1, 0)
	insts[0].call("close_fd", afd)
	pwriteOnAppend := "ok"
	if pw < 0 {
		pwriteOnAppend = errnoName(-pw)
	}

	// (c) write-then-rename publication while others open the target by name.
	for _, size := range []int{1 << 10, 64 << 10} {
		var pubs, reads, absentAfter atomic.Int64
		var published atomic.Bool
		var outcome [6]atomic.Int64 // ok torn short absent longer error
		var wg sync.WaitGroup
		end := time.Now().Add(D)
		for k := 0; k < 4; k++ {
			wg.Add(1)
			go func(k int) {
				defer wg.Done()
				i := insts[k]
				pl := i.setIn(0, fmt.Sprintf("tmp-%d-%d-", size, k))
				tl := i.setIn(1024, "target")
				for n := uint64(1); time.Now().Before(end); n++ {
					if k < 2 {
						check("publish", i.i32("s_publish", pl, n, tl, uint64(size), uint64(k)<<28|n))
						pubs.Add(1)
						published.Store(true)
					} else {
						was := published.Load()
						r := i.i32("s_read_target", tl, uint64(size))
						if r == 3 && was {
							absentAfter.Add(1)
						}
						reads.Add(1)
						if r < 0 {
							outcome[5].Add(1)
						} else {
							outcome[r].Add(1)
						}
					}
				}
			}(k)
		}
		wg.Wait()
		left, _ := os.ReadDir(sub)
		tmp := 0
		for _, e := range left {
			if strings.HasPrefix(e.Name(), "tmp-") {
				tmp++
			}
		}
		t.add(fmt.Sprintf("(c) 2 instances publish a %d KiB file by write-tmp-then-rename, 2 others open+pread+close it by name", size>>10),
			fmt.Sprint(reads.Load()), fmt.Sprint(outcome[1].Load()+outcome[2].Load()+outcome[4].Load()+absentAfter.Load()),
			fmt.Sprintf("bad = torn/short/long reads or absent after the first publish (%d); %d absent before it, %d errors, %d publishes, %d tmp files left", absentAfter.Load(), outcome[3].Load()-absentAfter.Load(), outcome[5].Load(), pubs.Load(), tmp))
		os.Remove(filepath.Join(sub, "target"))
	}

	// (d) O_CREAT|O_EXCL election.
	{
		rounds, dist := 0, map[int]int{}
		ll := insts[0].setIn(0, "lock")
		for _, i := range insts {
			i.setIn(0, "lock")
		}
		for end := time.Now().Add(D); time.Now().Before(end); rounds++ {
			var wins atomic.Int32
			var wg sync.WaitGroup
			start := make(chan struct{})
			for k := 0; k < N; k++ {
				wg.Add(1)
				go func(k int) {
					defer wg.Done()
					<-start
					r := insts[k].i32("s_excl", ll)
					check("s_excl", r)
					wins.Add(r)
				}(k)
			}
			close(start)
			wg.Wait()
			dist[int(wins.Load())]++
			insts[0].i32("unlink", ll)
		}
		t.add(fmt.Sprintf("(d) %d instances path_open(O_CREAT|O_EXCL) one name at once", N), fmt.Sprint(rounds),
			fmt.Sprint(rounds-dist[1]), fmt.Sprintf("winners per round → rounds: %v", dist))
	}
	t.print()
	fmt.Printf("\nfd_pwrite on an fd opened with fdflags=APPEND: %s\n", pwriteOnAppend)
}
