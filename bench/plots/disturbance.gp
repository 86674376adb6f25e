# SPDX-License-Identifier: GPL-2.0-or-later
# Each timed figure in the order measured: how much CPU other processes
# used while it was (left axis) and the spin round trip between the two
# pinned CPUs just before it (right axis). From report.sh:
#   near_ns  the near/far threshold
#   thr      the disturbed threshold, in CPUs
# data/plot-disturbance.dat: n, other CPU, round trip ns, disturbed (0/1).
set termoption noenhanced
set output "disturbance.svg"
set title "Disturbance and placement, figure by figure"
set xlabel "figure, in the order measured"; set ylabel "other processes (CPUs)"
set y2label "spin round trip before it (ns)"; set ytics nomirror; set y2tics
set yrange [0:*]; set y2range [0:*]; set key below
plot "data/plot-disturbance.dat" u 1:($4 == 0 ? $2 : 1/0) w p pt 7 ps 0.5 lc rgb "forest-green" \
		t "other processes, undisturbed figure", \
	"" u 1:($4 == 1 ? $2 : 1/0) w p pt 7 ps 0.5 lc rgb "red" t "other processes, disturbed figure", \
	thr w l dt 3 lc rgb "red" t "disturbed above", \
	"" u 1:3 axes x1y2 w l lc rgb "blue" t "spin round trip", \
	near_ns axes x1y2 w l dt 2 lc rgb "blue" t "near below, far above"
