// benchtool: the origin server and the fixed-rate load generator used by `npm run bench`.
//
//	benchtool origin   -listen 127.0.0.1:0 -delay 45ms     prints "listening <addr>", serves until killed
//	benchtool scenario -url URL -rate 400 -duration 20s -keys 5000 -zipf 1.1
//	                                                       prints one JSON line of latency figures
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchtool origin|scenario [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "origin":
		err = runOrigin(os.Args[2:])
	case "scenario":
		err = runScenario(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (want origin or scenario)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}
