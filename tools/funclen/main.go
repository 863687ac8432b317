package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	maxLines := flag.Int("max", DefaultMax, "longest function allowed, in lines")
	all := flag.Bool("all", false, "list every function over the limit, allowed ones too")
	flag.Parse()
	dir := "."
	if flag.NArg() > 0 {
		dir = flag.Arg(0)
	}
	long, err := Scan(dir, *maxLines)
	if err != nil {
		fmt.Fprintln(os.Stderr, "funclen:", err)
		os.Exit(2)
	}
	allowed, err := LoadAllowList(allowListFile(dir))
	if err != nil {
		fmt.Fprintln(os.Stderr, "funclen:", err)
		os.Exit(2)
	}
	bad := 0
	for _, f := range long {
		reason, ok := allowed[f.Key()]
		switch {
		case !ok:
			bad++
			fmt.Fprintf(os.Stderr, "funclen: %s is %d lines (over %d): split it, or allow it in tools/funclen/allow.txt with the reason\n", f, f.Lines, *maxLines)
		case *all:
			fmt.Printf("%s: %d lines, allowed: %s\n", f, f.Lines, reason)
		}
	}
	for key := range allowed {
		if !contains(long, key) {
			bad++
			fmt.Fprintf(os.Stderr, "funclen: %s is allowed but no longer over %d lines: remove it from allow.txt\n", key, *maxLines)
		}
	}
	if bad > 0 {
		os.Exit(1)
	}
}
