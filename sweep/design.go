package sweep

// Quasi-random designs for `sobol:` and `latin_hypercube:` sweep blocks. Both
// make points in the unit cube, one coordinate per param, and map each
// coordinate through the param's inverse CDF (expDist.quantile), so they take
// exactly the distributions `random:` takes.
//
// Sobol. The sequence is Sobol's in Gray-code order with Joe and Kuo's
// direction numbers (new-joe-kuo-6.21201, S. Joe and F. Y. Kuo, SIAM J. Sci.
// Comput. 30, 2635-2654, 2008), 32 bits per coordinate, for at most
// SobolMaxDims params. Params take dimensions in the order of their paths
// (sorted), so reordering them in the document changes nothing. Point i is the
// i-th point of the sequence whatever `samples` is, so raising samples extends
// the design and keeps every earlier point (and so every earlier variant id).
// Unscrambled, coordinate x (an integer below 2**32) is x/2**32 and point 0 is
// the origin, as published. Scrambled (the default), each dimension is XORed
// with a 32-bit word taken from sha256("gennctl/sweep/sobol/v1\n<seed>\n<path>")
// (a random digital shift, which keeps the sequence's equidistribution) and
// the coordinate is (x^shift + 1/2)/2**32, which is never 0 or 1.
//
// Latin hypercube. With n samples each axis is cut into n equal strata and
// every stratum holds exactly one sample: sample i of an axis lies in stratum
// perm[i], at a uniform offset within it, where perm is a Fisher-Yates
// permutation drawn from a splitmix64 stream (expStream) seeded by
// sha256("gennctl/sweep/lhs/v1\n<seed>\n<path>"), which also draws the
// offsets. Changing samples changes every stratum, so it re-draws every point
// (and every id); adding a param leaves the others' columns alone.

import (
	"math/bits"
	"sort"
	"strconv"

	"gopkg.in/yaml.v3"
)

const (
	expSobolDomain = "gennctl/sweep/sobol/v1\n"
	expLHSDomain   = "gennctl/sweep/lhs/v1\n"
)

// sobolJoeKuo holds Joe and Kuo's parameters for Sobol dimensions 2..32: the
// degree s of the primitive polynomial, its inner coefficients a and the
// initial direction integers m_1..m_s. Dimension 1 is van der Corput's.
var sobolJoeKuo = []struct {
	s, a uint32
	m    []uint32
}{
	{1, 0, []uint32{1}},
	{2, 1, []uint32{1, 3}},
	{3, 1, []uint32{1, 3, 1}},
	{3, 2, []uint32{1, 1, 1}},
	{4, 1, []uint32{1, 1, 3, 3}},
	{4, 4, []uint32{1, 3, 5, 13}},
	{5, 2, []uint32{1, 1, 5, 5, 17}},
	{5, 4, []uint32{1, 1, 5, 5, 5}},
	{5, 7, []uint32{1, 1, 7, 11, 19}},
	{5, 11, []uint32{1, 1, 5, 1, 1}},
	{5, 13, []uint32{1, 1, 1, 3, 11}},
	{5, 14, []uint32{1, 3, 5, 5, 31}},
	{6, 1, []uint32{1, 3, 3, 9, 7, 49}},
	{6, 13, []uint32{1, 1, 1, 15, 21, 21}},
	{6, 16, []uint32{1, 3, 1, 13, 27, 49}},
	{6, 19, []uint32{1, 1, 1, 15, 7, 5}},
	{6, 22, []uint32{1, 3, 1, 15, 13, 25}},
	{6, 25, []uint32{1, 1, 5, 5, 19, 61}},
	{7, 1, []uint32{1, 3, 7, 11, 23, 15, 103}},
	{7, 4, []uint32{1, 3, 7, 13, 13, 15, 69}},
	{7, 7, []uint32{1, 1, 3, 13, 7, 35, 63}},
	{7, 8, []uint32{1, 3, 5, 9, 1, 25, 53}},
	{7, 14, []uint32{1, 3, 1, 13, 9, 35, 107}},
	{7, 19, []uint32{1, 3, 1, 5, 27, 61, 31}},
	{7, 21, []uint32{1, 1, 5, 11, 19, 41, 61}},
	{7, 28, []uint32{1, 3, 5, 3, 3, 13, 69}},
	{7, 31, []uint32{1, 1, 7, 13, 1, 19, 1}},
	{7, 32, []uint32{1, 3, 7, 5, 13, 19, 59}},
	{7, 37, []uint32{1, 1, 3, 9, 25, 29, 41}},
	{7, 41, []uint32{1, 3, 5, 13, 23, 1, 55}},
	{7, 42, []uint32{1, 3, 7, 3, 13, 59, 17}},
}

// SobolMaxDims is the number of params a sobol block may have: one more than
// the rows of sobolJoeKuo.
const SobolMaxDims = 32

// sobolDirections returns dimension dim's (0-based) direction numbers v_k,
// scaled by 2**32, for bits k = 0..31.
func sobolDirections(dim int) [32]uint32 {
	var v [32]uint32
	if dim == 0 {
		for k := range v {
			v[k] = 1 << (31 - k)
		}
		return v
	}
	jk := sobolJoeKuo[dim-1]
	s := int(jk.s)
	for k := range v {
		if k < s {
			v[k] = jk.m[k] << (31 - k)
			continue
		}
		v[k] = v[k-s] ^ (v[k-s] >> s)
		for j := 1; j < s; j++ {
			if jk.a>>(s-1-j)&1 == 1 {
				v[k] ^= v[k-j]
			}
		}
	}
	return v
}

// sobolInts returns the first n points of dimension dim as 32-bit integers
// (coordinate x/2**32), in Gray-code order.
func sobolInts(dim, n int) []uint32 {
	v := sobolDirections(dim)
	out := make([]uint32, n)
	var x uint32
	for i := 1; i < n; i++ {
		x ^= v[bits.TrailingZeros64(^uint64(i-1))]
		out[i] = x
	}
	return out
}

// checkSobol reports what a sobol block cannot do: more params than there
// are dimensions, and normal params without scrambling (point 0 is the
// origin, whose normal quantile is -inf).
func (p *expParser) checkSobol(paramsK *yaml.Node, where string, axes []*expAxis, dists []*expDist, scramble bool) bool {
	ok := true
	if len(axes) > SobolMaxDims {
		p.errorf(paramsK, where+".params", "sobol supports at most %d params (Joe and Kuo's direction numbers for %d dimensions), got %d",
			SobolMaxDims, SobolMaxDims, len(axes))
		ok = false
	}
	if !scramble {
		for i, d := range dists {
			if d.kind == "normal" {
				p.errorf(d.at, axes[i].where+".normal", "normal needs scramble: true (the unscrambled sequence starts at 0, whose normal quantile is -inf)")
				ok = false
			}
		}
	}
	return ok
}

// sobolColumns fills each axis with n Sobol samples of its distribution.
func sobolColumns(axes []*expAxis, dists []*expDist, seed uint64, n int, scramble bool) {
	order := make([]int, len(axes))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return axes[order[i]].path < axes[order[j]].path })
	for dim, i := range order {
		a, d := axes[i], dists[i]
		xs := sobolInts(dim, n)
		shift := uint32(expHash(expSobolDomain+strconv.FormatUint(seed, 10)+"\n"+a.path) >> 32)
		a.values = make([]*yaml.Node, n)
		for j, x := range xs {
			u := float64(x) * 0x1p-32
			if scramble {
				u = (float64(x^shift) + 0.5) * 0x1p-32
			}
			a.values[j] = d.quantile(u)
		}
	}
}

// lhsColumns fills each axis with n Latin hypercube samples of its
// distribution.
func lhsColumns(axes []*expAxis, dists []*expDist, seed uint64, n int) {
	for i, a := range axes {
		r := &expStream{s: expHash(expLHSDomain + strconv.FormatUint(seed, 10) + "\n" + a.path)}
		perm := make([]int, n)
		for j := range perm {
			perm[j] = j
		}
		for j := n - 1; j > 0; j-- {
			k := r.below(uint64(j + 1))
			perm[j], perm[k] = perm[k], perm[j]
		}
		a.values = make([]*yaml.Node, n)
		for j, stratum := range perm {
			a.values[j] = dists[i].quantile((float64(stratum) + r.uniform()) / float64(n))
		}
	}
}
