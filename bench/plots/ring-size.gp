# SPDX-License-Identifier: GPL-2.0-or-later
# The ring-size sweep, one line per message size. From report.sh:
#   msgs  the message sizes, as words; data in data/plot-ringsize-MSG.dat
eval ticks(1)
set output "ring-size.svg"
set title "Ring c→h (adaptive): throughput against ring size" . placed
set xlabel "ring size"; set ylabel "MB/s"
plot for [i = 1:words(msgs)] "data/plot-ringsize-" . word(msgs, i) . ".dat" \
	u 1:2 w lp t "message " . iec(word(msgs, i) + 0)
