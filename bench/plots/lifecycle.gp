# SPDX-License-Identifier: GPL-2.0-or-later
# Whole commands under hyperfine: one bar each, min..max.
set terminal svg size 900,480 dynamic font "sans,12" background "white"
set output "lifecycle.svg"
set title "Whole commands (hyperfine median; bars: min..max)"
set style data histogram; set style histogram errorbars gap 2 lw 1; set style fill solid 0.7 border -1
set ylabel "ms"; set grid y; set yrange [0:*]; set key off; set xtics rotate by -25
plot "data/plot-lifecycle.dat" u 2:3:4:xtic(1)
