# SPDX-License-Identifier: GPL-2.0-or-later
# One more channel while n exist: x is a count, not a size.
set output "scale.svg"
set title "One more channel while n exist (hyperfine median)"
set format x "%g"; set logscale x 10; set xlabel "channels that exist (n)"; set ylabel "ms"
plot "data/plot-scale.dat" u 1:2 w lp t "hcrun run --rm, 1 channel", \
	"" u 1:3 w lp t "hcrun create + delete", \
	"" u 1:4 w lp t "mount + umount tmpfs (kernel)", \
	"" u 1:5 w lp t "unshare -m true (kernel)", \
	"" u 1:7 w lp lw 2 t "hcrun's own part (run - kernel - unshare)"
