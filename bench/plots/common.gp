# SPDX-License-Identifier: GPL-2.0-or-later
# What every line plot of the report shares. bench/report.sh runs each plot
# as `gnuplot [-e VARS] common.gp [sizes.gp] PLOT.gp` in the report's
# directory, so data/ and the .svg paths are relative to it.
set terminal svg size 900,520 dynamic font "sans,12" background "white"
set grid; set key outside right top
# The placement the report's plots show (report.sh: -e "place='near'"),
# for the titles: they hold its undisturbed figures only.
if (!exists("place")) place = ""
placed = place eq "" ? "" : " [" . place . ", undisturbed]"
