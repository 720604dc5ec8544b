// Command gennctl runs spiking-network parameter sweeps: see README.md.
package main

import "os"

func main() {
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}
