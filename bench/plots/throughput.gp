# SPDX-License-Identifier: GPL-2.0-or-later
# Throughput one way, every transport chanbench measured. From report.sh:
#   dir     c2h or h2c
#   ts, ws  the main series, as words: transport i and its wait mode ("-":
#           none), data in data/plot-DIR-T[-W].dat
#   phased  transports measured as whole files: their first write and read
dirname = dir eq "c2h" ? "container → host" : "host → container"
tag(t, w) = w eq "-" ? t : t . "-" . w
name(t, w) = w eq "-" ? t : t . " " . w
set output "throughput-" . dir . ".svg"
set title "Throughput " . dirname . " (median of repetitions; bars: min..max)" . placed
set xlabel "message size"; set ylabel "MB/s (10^6 B/s)"; set logscale y
plot "data/plot-ceiling.dat" u 1:2 w l lw 3 lc rgb "black" t "memcpy ceiling", \
	for [i = 1:words(ts)] "data/plot-" . dir . "-" . tag(word(ts, i), word(ws, i)) . ".dat" \
		u 1:2:3:4 w yerrorlines t name(word(ts, i), word(ws, i)) noenhanced, \
	for [i = 1:words(phased)] "data/plot-" . dir . "-" . word(phased, i) . "-first.dat" \
		u 1:2 w lp dt 2 t word(phased, i) . ", first write" noenhanced, \
	for [i = 1:words(phased)] "data/plot-" . dir . "-" . word(phased, i) . "-read.dat" \
		u 1:2 w lp dt 2 t word(phased, i) . ", read" noenhanced
