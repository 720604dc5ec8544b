# Shared by the benchmark scripts; sourced from the repository root.

# bench_setup makes a temporary directory $work (removed on exit) and sets $g
# to the gennctl binary: $GENNCTL if set (a machine without Go, or another
# tree's binary to compare), else one built from this tree into $work.
bench_setup() {
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  g=${GENNCTL:-}
  if [ -z "$g" ]; then
    go build -o "$work/gennctl" ./cmd/gennctl
    g=$work/gennctl
  fi
}

# median prints the median of the numbers on standard input, one per line.
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
