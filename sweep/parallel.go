package sweep

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// forEach calls f(0), ..., f(n-1) on up to GOMAXPROCS goroutines and
// returns when all have returned. Planning uses it for per-variant work
// (decoding, structure keys), which dominates the plan of a large sweep.
func forEach(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(workers)
	for range workers {
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		}()
	}
	wg.Wait()
}
