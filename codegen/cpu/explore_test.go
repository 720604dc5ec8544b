package cpu_test
import ("testing"; "github.com/gennctl/gennctl/codegen")
func TestExplorePoisson(t *testing.T) {
	m := buildModule(t, poissonDoc, codegen.Options{})
	seeds := []uint64{}
	for i := 0; i < 40; i++ { seeds = append(seeds, uint64(1000+i*7919)) }
	s := newInstance(t, m, seeds, nil)
	s.step(10000)
	c := make([]int, 40)
	for _, sp := range list(s.spikes()) { c[sp.Variant]++ }
	tot := 0
	for _, x := range c { tot += x }
	t.Logf("%v mean %.1f", c, float64(tot)/40)
}
