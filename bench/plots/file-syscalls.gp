# SPDX-License-Identifier: GPL-2.0-or-later
# The file against the ring, container to host: MB/s and the time per call.
set output "file-syscalls.svg"
set title "File in the channel, container → host: the cost is per call" . placed
set xlabel "write size (bs)"; set ylabel "MB/s"; set y2label "ns per read/write call"
set logscale y; set logscale y2; set ytics nomirror; set y2tics
plot "data/plot-ceiling.dat" u 1:2 w l lw 3 lc rgb "black" t "memcpy ceiling", \
	"data/plot-c2h-file-first.dat" u 1:2 w lp t "write, first (allocates)", \
	"data/plot-c2h-file-rewrite.dat" u 1:2 w lp t "rewrite", \
	"data/plot-c2h-file-read.dat" u 1:2 w lp t "read (host)", \
	"data/plot-c2h-ring-adaptive.dat" u 1:2 w lp t "ring adaptive", \
	"data/plot-c2h-file-first.dat" u 1:5 axes x1y2 w lp dt 3 t "ns per write call (first)"
