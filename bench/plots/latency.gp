# SPDX-License-Identifier: GPL-2.0-or-later
# Round trips, one cluster per transport and size: p50, p99, p99.9.
set terminal svg size 900,520 dynamic font "sans,12" background "white"
set output "latency.svg"
if (!exists("place")) place = ""
set title "Round trip (ping-pong), host ↔ container" . (place eq "" ? "" : " [" . place . ", undisturbed]")
set style data histogram; set style histogram clustered gap 1; set style fill solid 0.8 border -1
set logscale y; set ylabel "µs"; set grid y; set key top left
set xtics rotate by -40
plot "data/plot-latency.dat" u 2:xtic(1) t "p50", "" u 3 t "p99", "" u 4 t "p99.9"
