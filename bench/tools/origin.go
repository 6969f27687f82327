package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// The origin's routes:
//
//	/fixed/<bytes>    cacheable body of that size (public, max-age=3600)
//	/nostore/<bytes>  the same body, never cacheable (no-store)
//	/product/<id>     the user's scenario: a 1 KiB JSON product after -delay (max-age=300)
//	/stats            request counts so far, as JSON
type origin struct {
	delay    time.Duration
	fixed    atomic.Int64
	nostore  atomic.Int64
	products atomic.Int64
	bodies   map[int][]byte
}

func (o *origin) body(size int) []byte {
	if b, ok := o.bodies[size]; ok {
		return b
	}
	return bodyOf(size)
}

func bodyOf(size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = "0123456789abcdef"[i%16]
	}
	return b
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)
	h := w.Header()
	switch parts[0] {
	case "fixed", "nostore":
		size, err := strconv.Atoi(parts[len(parts)-1])
		if err != nil || size < 0 || size > 16<<20 {
			http.Error(w, "bad size", http.StatusBadRequest)
			return
		}
		if parts[0] == "fixed" {
			o.fixed.Add(1)
			h.Set("Cache-Control", "public, max-age=3600")
		} else {
			o.nostore.Add(1)
			h.Set("Cache-Control", "no-store")
		}
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Length", strconv.Itoa(size))
		w.Write(o.body(size))
	case "product":
		o.products.Add(1)
		time.Sleep(o.delay)
		h.Set("Cache-Control", "max-age=300")
		h.Set("Content-Type", "application/json")
		id := ""
		if len(parts) > 1 {
			id = parts[1]
		}
		fmt.Fprintf(w, `{"id":%q,"name":"Product %s","price":19.99,"stock":42,"description":%q}`,
			id, id, strings.Repeat("x", 900))
	case "stats":
		h.Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(map[string]int64{
			"fixed": o.fixed.Load(), "nostore": o.nostore.Load(), "product": o.products.Load(),
		})
	default:
		http.NotFound(w, r)
	}
}

func runOrigin(args []string) error {
	fs := flag.NewFlagSet("origin", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	delay := fs.Duration("delay", 45*time.Millisecond, "latency of /product/<id>")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o := &origin{delay: *delay, bodies: map[int][]byte{}}
	for _, size := range []int{1024, 64 << 10, 1 << 20} {
		o.bodies[size] = bodyOf(size)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Printf("listening %s\n", ln.Addr())
	return (&http.Server{Handler: o}).Serve(ln)
}
