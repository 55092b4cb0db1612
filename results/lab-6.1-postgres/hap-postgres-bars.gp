set terminal pngcairo size 1100,600 font "sans,11" noenhanced
set output "hap-postgres-bars.png"
set title "HAP_fn: unique host kernel functions (mean, error bars 95% CI)\nLinux 6.1.0-57-amd64, mode function_graph,syscalls"
set datafile missing "?"
set style data histograms
set style histogram errorbars gap 1 lw 1.5
set style fill solid 0.75 border -1
set key outside right top
set grid ytics
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0
set xtics nomirror
set ylabel "hap_fn"
plot for [i=0:1] "hap-postgres-bars.dat" using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) title columnheader(2+3*i)
set terminal svg size 1100,600 font "sans,11" noenhanced dynamic
set output "hap-postgres-bars.svg"
replot
unset output
