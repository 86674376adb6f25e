# SPDX-License-Identifier: GPL-2.0-or-later
# The x axis is a size in bytes, on a log2 scale, labelled in binary units
# (64 B, 4 KiB, 1 MiB): gnuplot's own prefixes (%c) are decimal and would
# call 64 KiB "66kB". A tick at every other power of two (ticks(1): every
# one). Each tick sits at exp(i ln 2), the value the log axis itself
# computes for its ends: at 2**i exactly, the last tick would fall a
# rounding error outside the axis and be dropped.
set logscale x 2
iec(x) = x >= 2**30 ? sprintf("%g GiB", x / 2.0**30) \
	: x >= 2**20 ? sprintf("%g MiB", x / 2.0**20) \
	: x >= 2**10 ? sprintf("%g KiB", x / 2.0**10) : sprintf("%g B", x)
ticks(step) = sprintf("set xtics (); do for [i = 0:40:%d] { set xtics add (iec(2**i) exp(i * log(2))) }", step)
eval ticks(2)
