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

# cuba_config DURATION_MS FILE writes configs/cuba.yaml to FILE with DURATION_MS
# of biological time, and stops the script if that line is not found (a
# benchmark of the wrong duration would go unnoticed).
cuba_config() {
  sed "s/^  duration: 1000 /  duration: $1 /" configs/cuba.yaml > "$2"
  grep -q "^  duration: $1 " "$2" || { echo "cuba_config: no '  duration: 1000 ' line in configs/cuba.yaml" >&2; exit 1; }
}
