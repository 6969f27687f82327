package gohost

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// 10,000 distinct URLs stored concurrently through four middlewares (four runtimes, each with its
// pool of instances, as four routers or Traefik processes on one volume): every one is then a HIT
// for a fifth middleware that never saw it, and the origin was asked once per URL.
func TestConcurrentStoresLoseNothing(t *testing.T) {
	const urls, clients, middlewares = 10_000, 64, 4
	var calls sync.Map
	backend := NewBackend(func(w http.ResponseWriter, r *http.Request) {
		n, _ := calls.LoadOrStore(r.URL.Path, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		time.Sleep(time.Millisecond) // stores complete in bursts, as behind a real origin
		w.Header().Set("Cache-Control", "max-age=600")
		w.Write([]byte("body of " + r.URL.Path + strings.Repeat(".", 600)))
	})
	dir := t.TempDir()
	cfg := sharedConfig("64Mi", "1Mi", "")
	var hosts []*Host
	for i := 0; i < middlewares; i++ {
		hosts = append(hosts, newHostWith(t, cfg, backend, mountOf(dir)))
	}
	var next atomic.Int64
	var wrong atomic.Int32
	parallel(clients, func(c int) {
		for {
			i := int(next.Add(1)) - 1
			if i >= urls {
				return
			}
			path := fmt.Sprintf("/item/%d", i)
			res := hosts[(i+c)%middlewares].Do(get(path))
			if !strings.HasPrefix(string(res.Body), "body of "+path+".") {
				wrong.Add(1)
			}
		}
	})
	fresh := newHostWith(t, cfg, backend, mountOf(dir))
	var lost []string
	for i := 0; i < urls; i++ {
		path := fmt.Sprintf("/item/%d", i)
		res := fresh.Do(get(path))
		if res.CacheStatus() != "HIT" || !strings.HasPrefix(string(res.Body), "body of "+path+".") {
			lost = append(lost, path)
		}
	}
	twice := 0
	calls.Range(func(_, n any) bool {
		if n.(*atomic.Int32).Load() != 1 {
			twice++
		}
		return true
	})
	t.Logf("%d URLs stored by %d clients through %d middlewares: %d not found by a fifth, %d fetched more than once, %d wrong bodies",
		urls, clients, middlewares, len(lost), twice, wrong.Load())
	if len(lost) > 0 || twice > 0 || wrong.Load() > 0 {
		t.Fatalf("lost %d (first: %v), %d URLs reached the origin more than once, %d wrong bodies", len(lost), lost[:min(len(lost), 5)], twice, wrong.Load())
	}
}
