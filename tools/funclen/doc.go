// Command funclen lists the functions of the module's non-generated,
// non-test Go code that are longer than a limit (80 lines by default), and
// fails when one is not in the allow-list with a reason (allow.txt beside
// this file: "path:Func  reason").
//
//	go run ./tools/funclen [-max 80] [-all] [module dir]
//
// A function that needs a table of contents is two functions (STYLE.md);
// the allow-list names the few tuned hot paths a benchmark keeps whole.
package main
