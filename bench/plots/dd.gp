# SPDX-License-Identifier: GPL-2.0-or-later
# The seed's dd against chanbench's file and the ceiling.
set output "dd.svg"
set title "The seed's dd in a container: 64 MiB into the channel"
set xlabel "bs"; set ylabel "MB/s"; set logscale y
plot "data/plot-dd.dat" u 1:3 w lp lw 2 t "busybox dd (run --rm time minus an empty run --rm)", \
	"data/plot-c2h-file-first.dat" u 1:2 w lp t "chanbench file, first write", \
	"data/plot-ceiling.dat" u 1:2 w l lw 3 lc rgb "black" t "memcpy ceiling"
