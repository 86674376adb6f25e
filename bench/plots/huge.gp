# SPDX-License-Identifier: GPL-2.0-or-later
# The ring and the file on a huge=within_size channel against the default.
# Plain text: "_" in the titles is no subscript.
set termoption noenhanced
set output "huge.svg"
set title "huge=within_size against the default tmpfs, container → host" . placed
set xlabel "size"; set ylabel "MB/s"; set logscale y
plot "data/plot-c2h-ring-adaptive.dat" u 1:2 w lp t "ring adaptive, default", \
	"data/plot-c2h-ring-adaptive-huge.dat" u 1:2 w lp t "ring adaptive, huge=within_size", \
	"data/plot-c2h-file-first.dat" u 1:2 w lp t "file first write, default", \
	"data/plot-c2h-file-first-huge.dat" u 1:2 w lp t "file first write, huge=within_size", \
	"data/plot-c2h-file-read.dat" u 1:2 w lp t "file read, default", \
	"data/plot-c2h-file-read-huge.dat" u 1:2 w lp t "file read, huge=within_size"
